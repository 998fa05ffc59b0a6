"""The statements of a group commit, built once per dialect, and the order they run in.

Every row goes to the driver as a plain tuple, bypassing SQLAlchemy's per-row parameter
processing. The append-only log rows (two messages and a status event for nearly every charger
message) use SQLite's executemany and PostgreSQL's COPY. Measured with
`benchmarks/store_write.py --compare-executemany` (numbers in docs/storage.md): through Core's
executemany the writer thread spent about a third more CPU per batch on SQLite, and psycopg's
executemany costs about three times the CPU of COPY.

The upserts (one row per charger, connector or incident per group) are written by Core, which
knows their dialect-specific SQL, but compiled only once: each group sends its coalesced rows
through the driver's executemany. Core's executemany had become the writer's largest cost
(construct_params and a bind processor call per value); with `benchmarks/store_write.py
--compare-upserts` (every message also touching an incident, as in the server benchmark's mix)
a whole group write went from 72 to 36 µs per batch on SQLite and from 96 to 70 on PostgreSQL
(with the narrower upserts below, which set only what can change).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Dialect, Insert, bindparam, case, cast, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError

from evfault.store import schema
from evfault.store.group import LOG_COLUMNS, GroupRows, LogRow, Params
from evfault.store.times import as_utc, iso_utc

_MERGED_FACTS = ("vendor", "model", "serial", "firmware", "protocol", "last_seen", "booted_at",
                 "node")
# What a charger's row changes by when a group only heard from it (every message sends one):
# written by a statement that sets last_seen alone, at a third of the SQLite CPU of the full
# merge with its CASE (2.7 against 8 µs a row, measured on rows from benchmarks/server_load.py).
_SEEN_ONLY_NONE = ("vendor", "model", "serial", "firmware", "protocol", "booted_at", "node",
                   "offline_since", "p_online")
# An incident's identity and opening never change after it opened: its upsert leaves these
# columns (and the indexes on them) alone, which made it ~30% cheaper on SQLite (10 → 7 µs a row).
_INCIDENT_FIXED = ("charger_id", "connector_id", "scheme", "code", "title", "severity",
                   "opened_at", "opened_received_at")


# Groups with at most this many message rows are pipelined on PostgreSQL (see _pipelined).
PIPELINE_MAX_MESSAGES = 64


class GroupStatements:
    """Inserts and upserts for one dialect; executed with one parameter list each."""

    def __init__(self, dialect: str) -> None:
        self.encode_time: Callable[[datetime], Any] = (
            iso_utc if dialect == "sqlite" else as_utc
        )
        self.postgres = dialect != "sqlite"
        if dialect == "sqlite":
            self.log_sql = {t: _insert_sql(t, columns) for t, columns in LOG_COLUMNS.items()}
            self._write_log: Callable[[Connection, str, list[LogRow]], None] = _insert_many
        else:
            self.log_sql = {t: _copy_sql(t, columns) for t, columns in LOG_COLUMNS.items()}
            self._write_log = _copy_in
            self.log_insert_sql = {t: _insert_sql(t, columns, "%s")
                                   for t, columns in LOG_COLUMNS.items()}
        upsert = _upsert_factory(dialect)
        compiler = _positional_dialect(dialect)

        def driver(statement: Insert, columns: Sequence[str]) -> DriverUpsert:
            return DriverUpsert(statement, compiler, columns, self.encode_time)

        chargers, connectors, incidents = schema.chargers, schema.connectors, schema.incidents
        self.charger_updates = driver(_charger_upsert(upsert), chargers.columns.keys())
        self.charger_seen = driver(_charger_seen_upsert(upsert),
                                   ["id", "first_seen", "last_seen", "online"])
        self.charger_mentions = driver(
            upsert(chargers).on_conflict_do_nothing(index_elements=["id"]),
            ["id", "first_seen", "online"],
        )
        self.connectors = driver(
            _replace_on_conflict(upsert, connectors, ["charger_id", "connector_id"]),
            connectors.columns.keys(),
        )
        self.incidents = driver(
            _replace_on_conflict(upsert, incidents, ["id"], keep=_INCIDENT_FIXED),
            incidents.columns.keys(),
        )

    def execute(self, connection: Connection, rows: GroupRows) -> None:
        """Write `rows` inside the caller's transaction: chargers first, as others refer to them."""
        upserts = self._upserts(rows)
        logs = {table: tuples for table, tuples in (
            ("messages", rows.messages), ("status_events", rows.status_events),
            ("status_changes", rows.status_changes), ("connectivity", rows.connectivity),
        ) if tuples}
        if self.postgres and len(rows.messages) <= PIPELINE_MAX_MESSAGES:
            self._pipelined(connection, upserts, logs)
            return
        for sql, tuples in upserts:
            connection.exec_driver_sql(sql, tuples)
        for table, log_rows in logs.items():
            self._write_log(connection, self.log_sql[table], log_rows)

    def _upserts(self, rows: GroupRows) -> list[tuple[str, list[tuple[Any, ...]]]]:
        seen, updates = _split_seen_only(rows.charger_updates)
        return [(statement.sql, statement.tuples(params, rows.encode)) for statement, params in (
            (self.charger_seen, seen),
            (self.charger_updates, updates),
            (self.charger_mentions, rows.charger_mentions),
            (self.connectors, rows.connectors),
            (self.incidents, rows.incidents),
        ) if params]

    def _pipelined(self, connection: Connection, upserts: list[tuple[str, list[Any]]],
                   logs: dict[str, list[LogRow]]) -> None:
        """A small group on PostgreSQL: every statement sent at once, one round trip in all.

        At low load a group holds a few messages, and its six or so statements, each waiting
        for the server's answer before the next, were most of a charger's wait (a site of ten
        chargers answered at half the rate of a Node central system that inserts one row per
        message). COPY cannot join a pipeline, so the log rows go as INSERTs here; large groups
        keep COPY, which costs a third of the CPU per row.
        """
        import psycopg

        driver = connection.connection.driver_connection
        sql = ""
        try:
            with driver.pipeline(), driver.cursor() as cursor:  # type: ignore[union-attr]
                for sql, tuples in upserts:
                    cursor.executemany(sql, tuples)
                for table, log_rows in logs.items():
                    sql = self.log_insert_sql[table]
                    cursor.executemany(sql, log_rows)
        except psycopg.Error as exc:
            raise _as_sqlalchemy_error(connection, sql, exc, psycopg.Error) from exc


class DriverUpsert:
    """A Core upsert compiled once to positional SQL; its rows go to the driver as tuples.

    Binding is done here instead of by Core: values are taken in the compiled order (a
    parameter used twice is given twice) and UtcDateTime values get the same encoding
    `UtcDateTime.process_bind_param` gives them. Other types pass as they are: strings, ints,
    floats and None need nothing, and both drivers bind a Python bool as Core does.
    """

    __slots__ = ("_encode", "_pick", "_times", "sql")

    def __init__(self, statement: Insert, dialect: Dialect, columns: Sequence[str],
                 encode_time: Callable[[datetime], Any]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = compiled.positiontup
        if not names or len(names) < 2:
            raise ValueError("a driver upsert needs at least two positional parameters")
        self.sql = compiled.string
        self._pick = itemgetter(*names)
        self._times = tuple(i for i, name in enumerate(names)
                            if isinstance(compiled.binds[name].type, schema.UtcDateTime))
        self._encode = encode_time

    def tuples(self, params: Sequence[Params],
               encode: Callable[[datetime], Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them; `encode` replaces the dialect's time encoder."""
        pick, times, encode = self._pick, self._times, encode or self._encode
        rows = []
        for one in params:
            row = list(pick(one))
            for i in times:
                value = row[i]
                if value is not None:
                    row[i] = encode(value)
            rows.append(tuple(row))
        return rows


# ---- log rows straight to the driver ----------------------------------------------------


def _columns(table: str, columns: tuple[str, ...]) -> str:
    """The column list; names come from the schema, never from input."""
    known = schema.metadata.tables[table].columns
    missing = [name for name in columns if name not in known]
    if missing:
        raise ValueError(f"{table} has no column(s) {missing}")
    return ", ".join(columns)


def _insert_sql(table: str, columns: tuple[str, ...], mark: str = "?") -> str:
    marks = ", ".join([mark] * len(columns))
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


def _positional_dialect(dialect: str) -> Dialect:
    """The dialect the statements are compiled for, with positional parameters (tuples)."""
    if dialect == "sqlite":
        return sqlite.dialect()
    if dialect == "postgresql":
        return postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call]
    raise ValueError(f"No upsert for the {dialect} dialect.")


def _upsert_factory(dialect: str) -> Any:
    if dialect == "sqlite":
        return sqlite.insert
    if dialect == "postgresql":
        return postgresql.insert
    raise ValueError(f"No upsert for the {dialect} dialect.")


def _replace_on_conflict(upsert: Any, table: Any, key: list[str],
                         keep: Sequence[str] = ()) -> Insert:
    """Insert, or overwrite every column but the key and `keep` (columns that never change)."""
    statement = upsert(table)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=key,
        set_={c.name: statement.excluded[c.name] for c in table.columns
              if c.name not in key and c.name not in keep},
    )


def _split_seen_only(params: list[Params]) -> tuple[list[Params], list[Params]]:
    """Charger rows that only move last_seen (and first_seen), and all the others."""
    seen: list[Params] = []
    others: list[Params] = []
    for row in params:
        plain = not row["p_keep"] and all(row[name] is None for name in _SEEN_ONLY_NONE)
        (seen if plain else others).append(row)
    return seen, others


def _charger_seen_upsert(upsert: Any) -> Insert:
    """The charger merge for a row that says nothing but when the charger was heard.

    With every other fact None and no word on connectivity, the full merge keeps all stored
    values but first_seen (earliest wins) and last_seen (the newer one).
    """
    table = schema.chargers
    statement = upsert(table)
    new = statement.excluded
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["id"],
        set_={
            "first_seen": func.coalesce(table.c.first_seen, new.first_seen),
            "last_seen": func.coalesce(new.last_seen, table.c.last_seen),
        },
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
