"""Reads for the analytics and the export: the message log streamed in time order, and the
history (incidents, status changes, connectivity, chargers) a reliability report needs.

Blocking functions of a connection, like store/reads.py. Plain SELECTs with range filters on
indexed timestamp columns, so the same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Select,
    String,
    and_,
    case,
    func,
    or_,
    select,
    text,
    type_coerce,
)

from evfault.analytics.model import ChargerInfo
from evfault.analytics.report import History
from evfault.store import schema
from evfault.store.healing import _attempt as attempt_of
from evfault.tracking.model import ClearedBy, ConnectivityChange, Incident, StatusChange

STREAM_ROWS = 5000  # rows a server-side cursor fetches at a time

_m, _c, _s, _i = schema.messages, schema.connectivity, schema.status_changes, schema.incidents
# Written out literally: a partial index serves a query only when its condition appears as is.
OUTAGE_ROWS = text("(status IN ('Faulted', 'Unavailable') OR previous IN ('Faulted', "
                   "'Unavailable'))")
SESSION_ROWS = text("(previous IN ('Charging', 'SuspendedEV', 'SuspendedEVSE', 'Occupied') AND "
                    "status NOT IN ('Charging', 'SuspendedEV', 'SuspendedEVSE', 'Occupied'))")


# ---- the export -------------------------------------------------------------------------------


def protocols(connection: Connection) -> dict[str, str]:
    """Each charger's OCPP version, as it last connected."""
    table = schema.chargers
    rows = connection.execute(select(table.c.id, table.c.protocol).order_by(table.c.id))
    return {row.id: row.protocol for row in rows if row.protocol}


def log_rows(connection: Connection, since: datetime | None, until: datetime | None
             ) -> Iterator[tuple[datetime, int, dict[str, Any]]]:
    """Frames and connectivity changes merged in time order, streamed (constant memory)."""
    frames = _streamed(connection, _ranged(select(_m.c.at, _m.c.id, _m.c.charger_id,
                                                  _m.c.direction, _m.c.raw), _m, since, until)
                       .order_by(_m.c.at, _m.c.id))
    links = _streamed(connection, _ranged(select(_c.c.at, _c.c.id, _c.c.charger_id, _c.c.online,
                                                 _c.c.reason), _c, since, until)
                      .order_by(_c.c.at, _c.c.id))
    framed = ((row.at, 1, {"charger": row.charger_id, "dir": row.direction, "frame": row.raw})
              for row in frames)
    # At one instant a charger connects, then speaks; going offline is dated at its last
    # message, so it sorts after the frames of that instant.
    linked = ((row.at, 0 if row.online else 2,
               {"charger": row.charger_id, "online": bool(row.online), "reason": row.reason})
              for row in links)
    return heapq.merge(framed, linked, key=lambda item: (item[0], item[1]))


def _ranged(statement: Select[Any], table: Any, since: datetime | None,
            until: datetime | None) -> Select[Any]:
    if since is not None:
        statement = statement.where(table.c.at >= since)
    if until is not None:
        statement = statement.where(table.c.at < until)
    return statement


def _streamed(connection: Connection, statement: Select[Any]) -> Iterator[Any]:
    result = connection.execution_options(stream_results=True, yield_per=STREAM_ROWS)
    return iter(result.execute(statement))


# ---- the report's history -------------------------------------------------------------------


def history(connection: Connection, since: datetime, until: datetime) -> History:
    """What a report over [since, until) needs: the incidents that overlap it, every status
    change inside it plus the one in force at its start per port, the same for connectivity."""
    incidents = _incidents(connection, since, until)
    return History(
        incidents=incidents,
        status_changes=_status_changes(connection, since, until),
        connectivity=_connectivity(connection, since, until),
        chargers=_chargers(connection),
        ports={(row.charger_id, row.connector_id) for row in connection.execute(
            select(schema.connectors.c.charger_id, schema.connectors.c.connector_id))},
        actions=_actions(connection, since, until),
    )


def _actions(connection: Connection, since: datetime, until: datetime) -> dict[str, list[Any]]:
    """Self-healing's attempts made in the window, by incident."""
    table = schema.incident_actions
    found: dict[str, list[Any]] = {}
    statement = select(table).where(table.c.at >= since, table.c.at < until).order_by(table.c.id)
    for row in connection.execute(statement):
        found.setdefault(row.incident_id, []).append(attempt_of(row))
    return found


def incident_history(connection: Connection, since: datetime, until: datetime) -> History:
    """Only what MTTR reads: the incidents, the chargers' facts and self-healing's attempts."""
    return History(incidents=_incidents(connection, since, until), status_changes=[],
                   connectivity=[], chargers=_chargers(connection),
                   actions=_actions(connection, since, until))


def _incidents(connection: Connection, since: datetime, until: datetime) -> list[Incident]:
    """Only the columns a report reads (a year of a network is hundreds of thousands of rows):
    the title is the code, the time of receipt the time of opening."""
    when = _times(connection)
    opened, cleared = when(_i.c.opened_at), when(_i.c.cleared_at)
    statement = select(_i.c.id, _i.c.charger_id, _i.c.connector_id, _i.c.scheme, _i.c.code,
                       _i.c.severity, opened, cleared, _i.c.cleared_by, _i.c.warning_only,
                       _i.c.status, _i.c.vendor_id, _i.c.error_code).where(
        _i.c.opened_at < until, or_(_i.c.cleared_at.is_(None), _i.c.cleared_at >= since))
    found = []
    for (ident, charger, port, scheme, code, severity, at, end, by, warning, status, vendor,
         error) in connection.execute(statement):
        at = _utc(at)
        found.append(Incident(ident, charger, port, scheme, code, code, severity, at, at,
                              vendor_id=vendor, error_code=error, status=status,
                              warning_only=bool(warning),
                              cleared_at=None if end is None else _utc(end),
                              cleared_by=None if by is None else _cleared_by(by)))
    return found


def _times(connection: Connection) -> Any:
    """A timestamp column read as the driver gives it (SQLite: ISO text), skipping the
    per-value work of UtcDateTime; `_utc` finishes it."""
    if connection.dialect.name == "sqlite":
        return lambda column: type_coerce(column, String)
    return lambda column: type_coerce(column, DateTime(timezone=True))


def _utc(value: Any) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _cleared_by(value: str) -> ClearedBy | None:
    try:
        return ClearedBy(value)
    except ValueError:
        return None


def _status_changes(connection: Connection, since: datetime, until: datetime
                    ) -> list[StatusChange]:
    """Only the changes into and out of Faulted / Unavailable (the outage index's rows): the
    status periods the uptime rules read are exactly those, whatever happened in between."""
    at = _times(connection)(_s.c.at)
    columns = (_s.c.charger_id, _s.c.connector_id, _s.c.status, at, _s.c.previous)
    inside = select(*columns).where(OUTAGE_ROWS, _s.c.at >= since, _s.c.at < until)
    # The port's state when the window opened: its latest such change before `since`.
    latest = (select(_s.c.charger_id, _s.c.connector_id, func.max(_s.c.at).label("at"))
              .where(OUTAGE_ROWS, _s.c.at < since)
              .group_by(_s.c.charger_id, _s.c.connector_id).subquery())
    before = select(*columns).where(OUTAGE_ROWS).join(
        latest, and_(_s.c.charger_id == latest.c.charger_id,
                     _s.c.connector_id == latest.c.connector_id, _s.c.at == latest.c.at))
    rows = [*connection.execute(before), *connection.execute(inside)]
    return [StatusChange(charger, port, status, _utc(when), previous)
            for charger, port, status, when, previous in rows]


def session_ends(connection: Connection, since: datetime, until: datetime) -> tuple[int, int]:
    """(sessions that ended, of which with an error) in the window, as analytics/sessions.py
    counts them: a change out of a charging status, failed when into Faulted / Unavailable."""
    failed = func.sum(case((_s.c.status.in_(schema.OUT_STATUSES), 1), else_=0))
    row = connection.execute(select(func.count(), failed).where(
        SESSION_ROWS, _s.c.at >= since, _s.c.at < until)).one()
    return int(row[0] or 0), int(row[1] or 0)


def _connectivity(connection: Connection, since: datetime, until: datetime
                  ) -> list[ConnectivityChange]:
    at = _times(connection)(_c.c.at)
    columns = (_c.c.charger_id, _c.c.online, at, _c.c.reason)
    inside = select(*columns).where(_c.c.at >= since, _c.c.at < until)
    latest = (select(_c.c.charger_id, func.max(_c.c.at).label("at")).where(_c.c.at < since)
              .group_by(_c.c.charger_id).subquery())
    before = select(*columns).join(latest, and_(_c.c.charger_id == latest.c.charger_id,
                                                _c.c.at == latest.c.at))
    rows = [*connection.execute(before), *connection.execute(inside)]
    return [ConnectivityChange(charger, bool(online), _utc(when), reason)
            for charger, online, when, reason in rows]


def _chargers(connection: Connection) -> dict[str, ChargerInfo]:
    table = schema.chargers
    rows = connection.execute(select(table.c.id, table.c.vendor, table.c.model,
                                     table.c.firmware))
    return {r.id: ChargerInfo(r.id, r.vendor, r.model, r.firmware) for r in rows}
