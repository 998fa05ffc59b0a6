"""Drivers' problem reports, as blocking queries run by the trust store's connections.

Each function takes an open connection inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from evfault.store import schema

_d = schema.driver_reports


@dataclass(frozen=True, slots=True)
class DriverReport:
    id: int
    charger_id: str
    connector_id: int | None
    message: str
    contact: str | None
    lang: str
    created_at: datetime
    seen_at: datetime | None = None
    seen_by: str | None = None


@dataclass(frozen=True, slots=True)
class NewReport:
    charger_id: str
    connector_id: int | None
    message: str
    contact: str | None
    lang: str
    sender: str  # keyed hash of the address


def _report(row: Row[Any]) -> DriverReport:
    return DriverReport(
        id=int(row.id), charger_id=row.charger_id, connector_id=row.connector_id,
        message=row.message, contact=row.contact, lang=row.lang, created_at=row.created_at,
        seen_at=row.seen_at, seen_by=row.seen_by)


def count_from(connection: Connection, sender: str, since: datetime) -> int:
    """Reports this sender made since then (the rate limit's count, on every node alike)."""
    statement = select(func.count()).select_from(_d).where(
        _d.c.sender == sender, _d.c.created_at >= since)
    return int(connection.execute(statement).scalar_one())


def add(connection: Connection, report: NewReport, at: datetime, limit: int,
        since: datetime) -> DriverReport | None:
    """Store the report unless its sender already made `limit` since `since` (None then)."""
    if count_from(connection, report.sender, since) >= limit:
        return None
    statement = insert(_d).values(
        charger_id=report.charger_id, connector_id=report.connector_id,
        message=report.message, contact=report.contact, lang=report.lang,
        sender=report.sender, created_at=at).returning(_d.c.id)
    new_id = int(connection.execute(statement).scalar_one())
    return DriverReport(new_id, report.charger_id, report.connector_id, report.message,
                        report.contact, report.lang, at)


def listed(connection: Connection, charger_id: str | None = None, unseen: bool = False,
           limit: int = 100, offset: int = 0) -> list[DriverReport]:
    """Newest first."""
    statement = select(_d).order_by(_d.c.created_at.desc(), _d.c.id.desc())
    if charger_id is not None:
        statement = statement.where(_d.c.charger_id == charger_id)
    if unseen:
        statement = statement.where(_d.c.seen_at.is_(None))
    return [_report(r) for r in connection.execute(statement.limit(limit).offset(offset))]


def mark_seen(connection: Connection, report_id: int, by: str, at: datetime) -> bool:
    statement = update(_d).where(_d.c.id == report_id, _d.c.seen_at.is_(None)).values(
        seen_at=at, seen_by=by)
    connection.execute(statement)
    return connection.execute(select(_d.c.id).where(_d.c.id == report_id)).first() is not None
