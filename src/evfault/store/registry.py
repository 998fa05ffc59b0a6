"""The charger registry and the refused-connection counts, as blocking queries (run in a thread).

Each function takes an open connection inside the caller's transaction and returns frozen
values from evfault.auth.model. Only the trust store (trust_store.py) calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from evfault.auth.model import ChargerEntry, Refusal
from evfault.ocpp.admission import Registration
from evfault.store import schema

_r = schema.charger_registry
_x = schema.refused_connections


def upsert(connection: Connection, table: Any) -> Any:
    """The dialect's INSERT that can say what to do ON CONFLICT."""
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


def _greatest(connection: Connection, a: Any, b: Any) -> Any:
    # SQLite's two-argument max() is its scalar maximum; PostgreSQL calls it greatest().
    return func.greatest(a, b) if connection.dialect.name == "postgresql" else func.max(a, b)


def _least(connection: Connection, a: Any, b: Any) -> Any:
    return func.least(a, b) if connection.dialect.name == "postgresql" else func.min(a, b)


# ---- the registry ---------------------------------------------------------------------------


def entry_of(row: Row[Any]) -> ChargerEntry:
    return ChargerEntry(
        charger_id=row.id, state=Registration(row.state), profile=row.profile,
        password_hash=row.password_hash, certificate_identity=row.certificate_identity,
        first_seen=row.first_seen, last_seen=row.last_seen, last_address=row.last_address,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def chargers(connection: Connection, since: datetime | None = None,
             charger_id: str | None = None) -> list[ChargerEntry]:
    """Registry entries by id; `since`: only those changed at or after it."""
    statement = select(_r).order_by(_r.c.id)
    if since is not None:
        statement = statement.where(_r.c.updated_at >= since)
    if charger_id is not None:
        statement = statement.where(_r.c.id == charger_id)
    return [entry_of(row) for row in connection.execute(statement)]


def _values(entry: ChargerEntry, at: datetime) -> dict[str, Any]:
    return {
        "id": entry.charger_id, "state": entry.state.value, "profile": entry.profile,
        "password_hash": entry.password_hash,
        "certificate_identity": entry.certificate_identity,
        "first_seen": entry.first_seen, "last_seen": entry.last_seen,
        "last_address": entry.last_address, "created_at": entry.created_at or at,
        "updated_at": at,
    }


def insert_charger(connection: Connection, entry: ChargerEntry, at: datetime) -> bool:
    """Add an entry unless its id is registered already (then False, nothing changed)."""
    statement = upsert(connection, _r).values(**_values(entry, at))
    statement = statement.on_conflict_do_nothing(index_elements=["id"]).returning(_r.c.id)
    return connection.execute(statement).first() is not None  # rowcount is -1 on psycopg


def change_charger(connection: Connection, charger_id: str, at: datetime,
                   **values: Any) -> ChargerEntry | None:
    """Set the given columns of one entry; None when there is no such entry."""
    statement = update(_r).where(_r.c.id == charger_id).values(updated_at=at, **values)
    if not connection.execute(statement).rowcount:
        return None
    found = chargers(connection, charger_id=charger_id)
    return found[0] if found else None


def record_seen(connection: Connection, seen: Sequence[ChargerEntry], at: datetime) -> None:
    """New entries the gate admitted (kept if present already), and when each was last seen.

    Seen times do not move `updated_at`: other nodes need not reload an entry for them.
    """
    if not seen:
        return
    rows = [_values(e, at) for e in seen]
    connection.execute(upsert(connection, _r).on_conflict_do_nothing(index_elements=["id"]), rows)
    statement = (
        update(_r)
        .where(_r.c.id == bindparam("key"))
        .values(
            first_seen=func.coalesce(_r.c.first_seen, bindparam("seen_first")),
            last_seen=func.coalesce(
                _greatest(connection, _r.c.last_seen, bindparam("seen_last")),
                bindparam("seen_last")),
            last_address=func.coalesce(bindparam("address"), _r.c.last_address),
        )
    )
    connection.execute(statement, [
        {"key": e.charger_id, "seen_first": e.first_seen, "seen_last": e.last_seen,
         "address": e.last_address}
        for e in seen
    ])


# ---- refused connections --------------------------------------------------------------------


def add_refusals(connection: Connection, rows: Sequence[Refusal]) -> None:
    """Add counts (each row's `count` is what happened since the last flush)."""
    if not rows:
        return
    statement = upsert(connection, _x)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["charger_id", "address", "reason"],
        set_={
            "count": _x.c.count + new.count,
            "first_at": _least(connection, _x.c.first_at, new.first_at),
            "last_at": _greatest(connection, _x.c.last_at, new.last_at),
        },
    )
    connection.execute(statement, [
        {"charger_id": r.charger_id, "address": r.address, "reason": str(r.reason),
         "first_at": r.first_at, "last_at": r.last_at, "count": r.count}
        for r in rows
    ])


def prune_refusals(connection: Connection, keep: int) -> int:
    """Keep the `keep` most recently refused keys (ties at the edge stay); returns deleted."""
    edge = connection.execute(
        select(_x.c.last_at).order_by(_x.c.last_at.desc()).limit(1).offset(max(0, keep - 1))
    ).scalar()
    if edge is None:
        return 0
    result = connection.execute(delete(_x).where(_x.c.last_at < edge))
    return result.rowcount


def refusals(connection: Connection, limit: int,
             charger_id: str | None = None) -> list[Refusal]:
    """The most recent refusals first."""
    statement = select(_x).order_by(_x.c.last_at.desc(), _x.c.charger_id).limit(limit)
    if charger_id is not None:
        statement = statement.where(_x.c.charger_id == charger_id)
    return [
        # `row.count` would be the tuple method: the column is read by name.
        Refusal(row.charger_id, row.address, row.reason, row.first_at, row.last_at,
                int(row._mapping["count"]))
        for row in connection.execute(statement)
    ]
