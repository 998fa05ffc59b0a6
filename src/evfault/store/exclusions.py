"""Operators' outage exclusions (table outage_exclusions): blocking functions of a connection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from evfault.analytics.uptime import Exclusion, Outage
from evfault.store import schema

_x = schema.outage_exclusions


def exclusions(connection: Connection) -> dict[str, Exclusion]:
    return {row.outage_id: Exclusion(int(row.reason), row.notes or "")
            for row in connection.execute(select(_x.c.outage_id, _x.c.reason, _x.c.notes))}


def set_exclusion(connection: Connection, outage: Outage, exclusion: Exclusion | None,
                  actor: str, at: datetime) -> None:
    """Record (or, with None, remove) the reason an outage is excluded."""
    connection.execute(delete(_x).where(_x.c.outage_id == outage.id))
    if exclusion is not None:
        connection.execute(insert(_x).values(
            outage_id=outage.id, charger_id=outage.charger_id, connector_id=outage.connector_id,
            outage_start=outage.start, reason=exclusion.reason, notes=exclusion.notes,
            set_by=actor, set_at=at))
