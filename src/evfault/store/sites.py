"""Sites in the database as blocking queries (run in a thread by the side store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from evfault.store import schema

_s, _n, _m = schema.sites, schema.site_notifications, schema.site_samples


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    site_id: str
    code: str
    subject: str
    info: str | None
    opened_at: datetime
    cleared_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.subject)


@dataclass(frozen=True, slots=True)
class Sample:
    at: datetime
    limit_a: float
    metered_a: float
    allocated_a: float
    reserved_a: float


# ---- sites managed through the API ----------------------------------------------------------

def save_site(connection: Connection, site_id: str, config: dict[str, Any], at: datetime,
              by: str) -> bool:
    """Insert or replace a site; True (so the audit line is written with it)."""
    values = {"config": orjson.dumps(config).decode(), "updated_at": at, "updated_by": by}
    done = connection.execute(update(_s).where(_s.c.id == site_id).values(**values))
    if not done.rowcount:
        connection.execute(insert(_s).values(id=site_id, **values))
    return True


def stored_sites(connection: Connection) -> list[dict[str, Any]]:
    rows = connection.execute(select(_s.c.config).order_by(_s.c.id))
    return [orjson.loads(row.config) for row in rows]


# ---- notifications --------------------------------------------------------------------------

def open_notification(connection: Connection, note: Notification) -> None:
    connection.execute(insert(_n).values(
        id=note.id, site_id=note.site_id, code=note.code, subject=note.subject,
        info=note.info, opened_at=note.opened_at, cleared_at=None))


def update_info(connection: Connection, note_id: str, info: str | None) -> None:
    connection.execute(update(_n).where(_n.c.id == note_id).values(info=info))


def clear_notification(connection: Connection, note_id: str, at: datetime) -> None:
    connection.execute(update(_n).where(_n.c.id == note_id).values(cleared_at=at))


def _note(row: Any) -> Notification:
    return Notification(row.id, row.site_id, row.code, row.subject, row.info, row.opened_at,
                        row.cleared_at)


def active_notifications(connection: Connection) -> list[Notification]:
    statement = select(_n).where(_n.c.cleared_at.is_(None)).order_by(_n.c.opened_at)
    return [_note(row) for row in connection.execute(statement)]


def recent_notifications(connection: Connection, site_id: str, limit: int = 50
                         ) -> list[Notification]:
    statement = (select(_n).where(_n.c.site_id == site_id)
                 .order_by(_n.c.opened_at.desc(), _n.c.id).limit(limit))
    return [_note(row) for row in connection.execute(statement)]


# ---- limits over time -----------------------------------------------------------------------

def add_sample(connection: Connection, site_id: str, sample: Sample) -> None:
    connection.execute(insert(_m).values(
        site_id=site_id, at=sample.at, limit_a=sample.limit_a, metered_a=sample.metered_a,
        allocated_a=sample.allocated_a, reserved_a=sample.reserved_a))


def samples(connection: Connection, site_id: str, since: datetime, limit: int = 5000
            ) -> list[Sample]:
    statement = (select(_m).where(_m.c.site_id == site_id, _m.c.at >= since)
                 .order_by(_m.c.at).limit(limit))
    return [Sample(r.at, r.limit_a, r.metered_a, r.allocated_a, r.reserved_a)
            for r in connection.execute(statement)]


def forget_samples(connection: Connection, before: datetime) -> None:
    connection.execute(delete(_m).where(_m.c.at < before))
