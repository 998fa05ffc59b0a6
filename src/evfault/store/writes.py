"""The statements of a group commit, built once per dialect, and the order they run in.

The append-only log rows (two messages and a status event for nearly every charger message)
bypass SQLAlchemy's per-row parameter processing and go to the driver as plain tuples: SQLite's
executemany, PostgreSQL's COPY. Measured with `benchmarks/store_write.py --compare-executemany`
(numbers in docs/storage.md): through Core's executemany the writer thread spent about a third
more CPU per batch on SQLite, and psycopg's executemany costs about three times the CPU of COPY.
The upserts, one row per charger, connector or incident per group, stay in Core, which writes
their dialect-specific SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Insert, bindparam, case, cast, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError

from evfault.store import schema
from evfault.store.group import LOG_COLUMNS, GroupRows, LogRow
from evfault.store.times import as_utc, iso_utc

_MERGED_FACTS = ("vendor", "model", "serial", "firmware", "protocol", "last_seen", "booted_at",
                 "node")


class GroupStatements:
    """Inserts and upserts for one dialect; executed with one parameter list each."""

    def __init__(self, dialect: str) -> None:
        self.encode_time: Callable[[datetime], Any] = (
            iso_utc if dialect == "sqlite" else as_utc
        )
        if dialect == "sqlite":
            self.log_sql = {t: _insert_sql(t, columns) for t, columns in LOG_COLUMNS.items()}
            self._write_log: Callable[[Connection, str, list[LogRow]], None] = _insert_many
        else:
            self.log_sql = {t: _copy_sql(t, columns) for t, columns in LOG_COLUMNS.items()}
            self._write_log = _copy_in
        upsert = _upsert_factory(dialect)
        self.charger_updates = _charger_upsert(upsert)
        self.charger_mentions = upsert(schema.chargers).on_conflict_do_nothing(
            index_elements=["id"]
        )
        self.connectors = _replace_on_conflict(upsert, schema.connectors,
                                               ["charger_id", "connector_id"])
        self.incidents = _replace_on_conflict(upsert, schema.incidents, ["id"])

    def execute(self, connection: Connection, rows: GroupRows) -> None:
        """Write `rows` inside the caller's transaction: chargers first, as others refer to them."""
        for statement, params in (
            (self.charger_updates, rows.charger_updates),
            (self.charger_mentions, rows.charger_mentions),
            (self.connectors, rows.connectors),
            (self.incidents, rows.incidents),
        ):
            if params:
                connection.execute(statement, params)
        logs: dict[str, list[LogRow]] = {
            "messages": rows.messages, "status_events": rows.status_events,
            "status_changes": rows.status_changes, "connectivity": rows.connectivity,
        }
        for table, tuples in logs.items():
            if tuples:
                self._write_log(connection, self.log_sql[table], tuples)


# ---- log rows straight to the driver ----------------------------------------------------


def _columns(table: str, columns: tuple[str, ...]) -> str:
    """The column list; names come from the schema, never from input."""
    known = schema.metadata.tables[table].columns
    missing = [name for name in columns if name not in known]
    if missing:
        raise ValueError(f"{table} has no column(s) {missing}")
    return ", ".join(columns)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({_columns(table, columns)}) VALUES ({marks})"


def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({_columns(table, columns)}) FROM STDIN"


def _insert_many(connection: Connection, sql: str, rows: list[LogRow]) -> None:
    # exec_driver_sql: the driver's executemany, with SQLAlchemy's error wrapping kept.
    connection.exec_driver_sql(sql, rows)


def _copy_in(connection: Connection, sql: str, rows: list[LogRow]) -> None:
    """COPY rows into a table inside the open transaction, errors raised as SQLAlchemy's."""
    import psycopg

    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise _as_sqlalchemy_error(connection, sql, exc, psycopg.Error) from exc


def _as_sqlalchemy_error(
    connection: Connection, sql: str, exc: Exception, base: type[Exception]
) -> StatementError:
    """The error Core would have raised (IntegrityError, OperationalError, …)."""
    driver_error: Any = exc
    lost = connection.dialect.is_disconnect(driver_error, connection.connection.dbapi_connection,
                                            None)
    if lost:
        connection.invalidate(exc)
    return DBAPIError.instance(sql, None, exc, base, connection_invalidated=lost,
                               dialect=connection.dialect)


def _upsert_factory(dialect: str) -> Any:
    if dialect == "sqlite":
        return sqlite.insert
    if dialect == "postgresql":
        return postgresql.insert
    raise ValueError(f"No upsert for the {dialect} dialect.")


def _replace_on_conflict(upsert: Any, table: Any, key: list[str]) -> Insert:
    statement = upsert(table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=key,
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in key},
    )


def _charger_upsert(upsert: Any) -> Insert:
    """Insert a charger or merge into it: None facts keep what is stored."""
    table = schema.chargers
    statement = upsert(table)
    new = statement.excluded
    # Typed parameters: PostgreSQL cannot infer a type for a bare `$1 IS NULL`.
    online = cast(bindparam("p_online", type_=Boolean), Boolean)
    keep = cast(bindparam("p_keep", type_=Boolean), Boolean)
    offline_since = case(
        (online.is_(None), table.c.offline_since),
        (online, None),
        # Still offline from before this group: the offline period began back then.
        (keep & ~table.c.online, func.coalesce(table.c.offline_since, new.offline_since)),
        else_=new.offline_since,
    )
    merged = {name: func.coalesce(new[name], table.c[name]) for name in _MERGED_FACTS}
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["id"],
        set_={
            **merged,
            "first_seen": func.coalesce(table.c.first_seen, new.first_seen),
            "online": func.coalesce(online, table.c.online),
            "offline_since": offline_since,
        },
    )
