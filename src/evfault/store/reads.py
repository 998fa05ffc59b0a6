"""Queries, each a function of a connection returning frozen rows (blocking; run in a thread)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, case, func, select

from evfault.decode.model import SetRule
from evfault.store import schema
from evfault.store.model import (
    ChargerRow,
    ConnectorRow,
    IncidentQuery,
    MessageRow,
    StatusEventRow,
)
from evfault.tracking.model import ClearedBy, ConnectivityChange, Incident, StatusChange

INCIDENT_STATES = ("active", "cleared")

_i = schema.incidents
# Most urgent first; a severity the catalog does not know sorts after the known ones.
_SEVERITY_RANK = case(
    (_i.c.severity == "critical", 0),
    (_i.c.severity == "warning", 1),
    (_i.c.severity == "info", 2),
    else_=3,
)


# ---- chargers and connectors ----------------------------------------------------------


def chargers(connection: Connection, charger_id: str | None = None) -> list[ChargerRow]:
    statement = select(schema.chargers).order_by(schema.chargers.c.id)
    if charger_id is not None:
        statement = statement.where(schema.chargers.c.id == charger_id)
    return [_charger(row) for row in connection.execute(statement)]


def connectors(connection: Connection, charger_id: str | None = None) -> list[ConnectorRow]:
    table = schema.connectors
    statement = select(table).order_by(table.c.charger_id, table.c.connector_id)
    if charger_id is not None:
        statement = statement.where(table.c.charger_id == charger_id)
    return [_connector(row) for row in connection.execute(statement)]


def _charger(row: Row[Any]) -> ChargerRow:
    return ChargerRow(
        charger_id=row.id, online=bool(row.online), last_seen=row.last_seen,
        vendor=row.vendor, model=row.model, serial=row.serial, firmware=row.firmware,
        protocol=row.protocol, booted_at=row.booted_at, offline_since=row.offline_since,
        first_seen=row.first_seen, node=row.node,
    )


def _connector(row: Row[Any]) -> ConnectorRow:
    return ConnectorRow(
        charger_id=row.charger_id, connector_id=row.connector_id, status=row.status,
        error_code=row.error_code, updated_at=row.updated_at,
    )


# ---- incidents -------------------------------------------------------------------------


def active_incidents(connection: Connection, charger_id: str | None = None) -> list[Incident]:
    """Active incidents, the most severe first and, within a severity, the oldest first."""
    statement = select(_i).where(_i.c.cleared_at.is_(None))
    if charger_id is not None:
        statement = statement.where(_i.c.charger_id == charger_id)
    statement = statement.order_by(_SEVERITY_RANK, _i.c.opened_at, _i.c.id)
    return [_incident(row) for row in connection.execute(statement)]


def incidents(connection: Connection, query: IncidentQuery) -> list[Incident]:
    """Matching incidents, newest first (by opened_at), one page of them."""
    _check_page(query)
    statement = (
        select(_i)
        .where(*_incident_filters(query))
        .order_by(_i.c.opened_at.desc(), _i.c.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return [_incident(row) for row in connection.execute(statement)]


def count_incidents(connection: Connection, query: IncidentQuery) -> int:
    """How many incidents match, ignoring the page (limit and offset)."""
    statement = select(func.count()).select_from(_i).where(*_incident_filters(query))
    return int(connection.execute(statement).scalar_one())


def _incident_filters(query: IncidentQuery) -> list[ColumnElement[bool]]:
    if query.state not in (None, *INCIDENT_STATES):
        raise ValueError(f"Incident state must be 'active' or 'cleared', not {query.state!r}.")
    conditions: list[ColumnElement[bool]] = []
    for column, value in ((_i.c.charger_id, query.charger_id), (_i.c.code, query.code),
                          (_i.c.scheme, query.scheme), (_i.c.severity, query.severity)):
        if value is not None:
            conditions.append(column == value)
    if query.since is not None:
        conditions.append(_i.c.opened_at >= query.since)
    if query.until is not None:
        conditions.append(_i.c.opened_at < query.until)
    if query.state == "active":
        conditions.append(_i.c.cleared_at.is_(None))
    elif query.state == "cleared":
        conditions.append(_i.c.cleared_at.is_not(None))
    return conditions


def _check_page(query: IncidentQuery) -> None:
    if query.limit < 0 or query.offset < 0:
        raise ValueError(
            f"limit and offset must not be negative (got {query.limit} and {query.offset})."
        )


def _check_limit(limit: int) -> int:
    # SQLite reads LIMIT -1 as "no limit", PostgreSQL refuses it: refuse it on both.
    if limit < 0:
        raise ValueError(f"limit must not be negative (got {limit}).")
    return limit


def _incident(row: Row[Any]) -> Incident:
    return Incident(
        id=row.id, charger_id=row.charger_id, connector_id=row.connector_id,
        scheme=row.scheme, code=row.code, title=row.title, severity=row.severity,
        opened_at=row.opened_at, opened_received_at=row.opened_received_at,
        vendor_id=row.vendor_id, error_code=row.error_code, info=row.info,
        reading_value=row.reading_value, reading_unit=row.reading_unit, status=row.status,
        warning_only=bool(row.warning_only), time_flagged=bool(row.time_flagged),
        last_seen_at=row.last_seen_at, reports=row.reports, cleared_at=row.cleared_at,
        cleared_by=ClearedBy(row.cleared_by) if row.cleared_by is not None else None,
        cleared_received_at=row.cleared_received_at, set_rule=SetRule(row.set_rule),
        code_guessed=bool(row.code_guessed),
    )


# ---- logs, newest first ----------------------------------------------------------------


def messages(
    connection: Connection, charger_id: str, limit: int, before_id: int | None
) -> list[MessageRow]:
    """A charger's frames, newest first; pass the last id seen as `before_id` for the next page."""
    table = schema.messages
    statement = select(table).where(table.c.charger_id == charger_id)
    if before_id is not None:
        statement = statement.where(table.c.id < before_id)
    statement = statement.order_by(table.c.id.desc()).limit(_check_limit(limit))
    return [
        MessageRow(charger_id=row.charger_id, direction=row.direction, at=row.at, raw=row.raw,
                   action=row.action, message_id=row.message_id, id=row.id)
        for row in connection.execute(statement)
    ]


def status_events(
    connection: Connection, charger_id: str, limit: int, before_id: int | None
) -> list[StatusEventRow]:
    """A charger's status notifications as reported, newest first, paged like messages."""
    table = schema.status_events
    statement = select(table).where(table.c.charger_id == charger_id)
    if before_id is not None:
        statement = statement.where(table.c.id < before_id)
    statement = statement.order_by(table.c.id.desc()).limit(_check_limit(limit))
    return [
        StatusEventRow(charger_id=row.charger_id, connector_id=row.connector_id,
                       status=row.status, error_code=row.error_code, info=row.info,
                       vendor_id=row.vendor_id, vendor_error_code=row.vendor_error_code,
                       charger_time=row.charger_time, received_at=row.received_at, id=row.id)
        for row in connection.execute(statement)
    ]


def status_changes(
    connection: Connection, charger_id: str, since: datetime | None, limit: int
) -> list[StatusChange]:
    """A charger's status changes at or after `since`, newest first."""
    table = schema.status_changes
    statement = _newest_first(select(table).where(table.c.charger_id == charger_id), table,
                              since, limit)
    return [
        StatusChange(charger_id=row.charger_id, connector_id=row.connector_id,
                     status=row.status, at=row.at, previous=row.previous,
                     time_flagged=bool(row.time_flagged))
        for row in connection.execute(statement)
    ]


def connectivity(
    connection: Connection, charger_id: str | None, since: datetime | None, limit: int
) -> list[ConnectivityChange]:
    """Connectivity changes (of one charger or all) at or after `since`, newest first."""
    table = schema.connectivity
    statement = select(table)
    if charger_id is not None:
        statement = statement.where(table.c.charger_id == charger_id)
    statement = _newest_first(statement, table, since, limit)
    return [
        ConnectivityChange(charger_id=row.charger_id, online=bool(row.online), at=row.at,
                           reason=row.reason)
        for row in connection.execute(statement)
    ]


def _newest_first(
    statement: Select[Any], table: Any, since: datetime | None, limit: int
) -> Select[Any]:
    if since is not None:
        statement = statement.where(table.c.at >= since)
    return statement.order_by(table.c.at.desc(), table.c.id.desc()).limit(_check_limit(limit))
