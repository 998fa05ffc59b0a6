"""How many write batches a second the store commits, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/store_write.py [--seconds 10] [--writers 200] [--backend sqlite]
                                               [--compare-executemany] [--compare-upserts]

Each batch is what one StatusNotification typically brings: the frame in and the answer out,
one status event, the connector's new status and the charger's last_seen; every tenth also
opens or updates an incident and records a status change. 200 asyncio tasks (one per busy
charger) each await write() in a loop, as the OCPP handlers do. PostgreSQL runs when
EVFAULT_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test) answers, in a scratch
schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, insert

from evfault.store import schema, writes
from evfault.store.engines import writer_engine
from evfault.store.group import LOG_COLUMNS, GroupRows, group_rows
from evfault.store.migrate import upgrade
from evfault.store.model import (
    ChargerUpdate,
    ConnectorUpdate,
    MessageRow,
    StatusEventRow,
    WriteBatch,
)
from evfault.store.schema import metadata
from evfault.store.sql import SqlStore, open_store
from evfault.store.urls import normalise_url
from evfault.store.writes import GroupStatements
from evfault.tracking.model import ClearedBy, Incident, StatusChange

PG_URL = os.environ.get("EVFAULT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def status_batch(charger: int, n: int) -> WriteBatch:
    """The rows one StatusNotification from charger number `charger` causes."""
    cid, at = f"CP{charger:05d}", T0 + timedelta(milliseconds=n)
    frame = (f'[2,"{n}","StatusNotification",{{"connectorId":1,"errorCode":"OtherError",'
             f'"info":"V=4.2","status":"Faulted","timestamp":"{at.isoformat()}",'
             '"vendorId":"com.evgo.mrec","vendorErrorCode":"F001"}]')
    batch = WriteBatch(
        messages=[MessageRow(cid, "in", at, frame, "StatusNotification", str(n)),
                  MessageRow(cid, "out", at, f'[3,"{n}",{{}}]', "StatusNotification", str(n))],
        chargers=[ChargerUpdate(cid, last_seen=at)],
        connectors=[ConnectorUpdate(cid, 1, "Faulted", "OtherError", at)],
        status_events=[StatusEventRow(cid, 1, "Faulted", "OtherError", "V=4.2",
                                      "com.evgo.mrec", "F001", at, at)],
    )
    if n % 10 == 0:
        batch.incidents.append(Incident(
            id=f"{cid}-1-F001", charger_id=cid, connector_id=1, scheme="evgo-mrec",
            code="F001", title="Proximity fault", severity="critical", opened_at=T0,
            opened_received_at=T0, info="V=4.2", reading_value=4.2, reading_unit="V",
            last_seen_at=at, reports=n // 10 + 1,
        ))
        batch.status_changes.append(StatusChange(cid, 1, "Faulted", at, "Available"))
    return batch


@dataclass
class Result:
    backend: str
    batches: int
    seconds: float
    latencies: list[float]
    groups: int
    writer_cpu_s: float

    @property
    def rate(self) -> float:
        return self.batches / self.seconds

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50, p99 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000
        return (f"{self.backend:<10} {self.rate:>7,.0f} batches/s "
                f"({self.batches:,} in {self.seconds:.1f} s)  "
                f"mean group {self.batches / max(self.groups, 1):5.1f}  "
                f"writer CPU {self.writer_cpu_s / self.batches * 1e6:4.0f} µs/batch  "
                f"write() p50 {p50:5.1f} ms  p99 {p99:5.1f} ms")


async def run(store: SqlStore, backend: str, writers: int, seconds: float) -> Result:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def writer(charger: int) -> int:
        n = 0
        while time.perf_counter() < deadline:
            batch = status_batch(charger, n)
            started = time.perf_counter()
            await store.write(batch)
            latencies.append(time.perf_counter() - started)
            n += 1
        return n

    await store.write(status_batch(0, 1))  # warm up: schema, statement caches
    groups, cpu = store.stats.groups, store.stats.cpu_s
    started = time.perf_counter()
    counts = await asyncio.gather(*(writer(i) for i in range(writers)))
    elapsed = time.perf_counter() - started
    return Result(backend, sum(counts), elapsed, latencies, store.stats.groups - groups,
                  store.stats.cpu_s - cpu)


async def bench(url: str, backend: str, args: argparse.Namespace) -> Result:
    store = open_store(url, synchronous=args.synchronous)
    await store.start()
    try:
        return await run(store, backend, args.writers, args.seconds)
    finally:
        await store.close()


@contextmanager
def pg_schema() -> Iterator[str | None]:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
            schema = "bench_" + uuid.uuid4().hex[:8]
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:
        print(f"postgresql skipped: {exc.__class__.__name__}: {exc}".strip(), file=sys.stderr)
        yield None
        return
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# ---- why the log inserts use the driver's executemany ----------------------------------


class CoreLogStatements(GroupStatements):
    """The same group write, with the log inserts through SQLAlchemy Core's executemany."""

    def __init__(self, dialect: str) -> None:
        super().__init__(dialect)
        self.encode_time = lambda at: at  # Core applies UtcDateTime itself

    def execute(self, connection: Connection, rows: GroupRows) -> None:
        logs = {"messages": rows.messages, "status_events": rows.status_events,
                "status_changes": rows.status_changes, "connectivity": rows.connectivity}
        # encode=None: the upserts keep encoding their times themselves.
        super().execute(connection, replace(rows, messages=[], status_events=[],
                                            status_changes=[], connectivity=[], encode=None))
        for table, tuples in logs.items():
            if tuples:
                columns = LOG_COLUMNS[table]
                params = [dict(zip(columns, row, strict=True)) for row in tuples]
                connection.execute(insert(metadata.tables[table]), params)


class PsycopgExecutemanyStatements(GroupStatements):
    """PostgreSQL only: the log inserts through psycopg's executemany instead of COPY."""

    def __init__(self, dialect: str) -> None:
        super().__init__(dialect)
        self.log_sql = {table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                               f"({', '.join(['%s'] * len(columns))})"
                        for table, columns in LOG_COLUMNS.items()}
        self._write_log = _executemany


class CoreUpsertStatements(GroupStatements):
    """The upserts through SQLAlchemy Core's executemany, every column set (before 2026-11)."""

    def __init__(self, dialect: str) -> None:
        super().__init__(dialect)
        upsert = writes._upsert_factory(dialect)
        self.core_upserts = (
            ("charger_updates", writes._charger_upsert(upsert)),
            ("charger_mentions",
             upsert(schema.chargers).on_conflict_do_nothing(index_elements=["id"])),
            ("connectors", writes._replace_on_conflict(upsert, schema.connectors,
                                                       ["charger_id", "connector_id"])),
            ("incidents", writes._replace_on_conflict(upsert, schema.incidents, ["id"])),
        )

    def execute(self, connection: Connection, rows: GroupRows) -> None:
        for name, statement in self.core_upserts:
            params = getattr(rows, name)
            if params:
                connection.execute(statement, params)
        super().execute(connection, GroupRows(
            messages=rows.messages, status_events=rows.status_events,
            status_changes=rows.status_changes, connectivity=rows.connectivity))


def _executemany(connection: Connection, sql: str, rows: list[tuple[object, ...]]) -> None:
    connection.exec_driver_sql(sql, rows)


def time_group_writes(url: str, statements: GroupStatements, groups: int = 40,
                      make: Callable[[int, int], WriteBatch] | None = None) -> float:
    """Writer-thread CPU µs per batch to build and execute groups of 200 batches."""
    engine = writer_engine(normalise_url(url))
    upgrade(engine)
    make = make or status_batch
    batches = [[make(c, n) for c in range(200)] for n in range(groups)]
    started = time.process_time()
    for group in batches:
        rows = group_rows(group, T0, statements.encode_time)
        with engine.begin() as connection:
            statements.execute(connection, rows)
    spent = time.process_time() - started
    engine.dispose()
    return spent / (groups * 200) * 1e6


def compare_executemany(args: argparse.Namespace) -> None:
    print("# writer CPU per batch, groups of 200 (lower is better); process time, no asyncio")
    for backend in ("sqlite", "postgresql"):
        if args.backend not in (backend, "both"):
            continue
        variants: list[tuple[str, type[GroupStatements]]] = [
            ("SQLAlchemy Core executemany", CoreLogStatements),
            ("evfault (executemany)" if backend == "sqlite" else "evfault (COPY)",
             GroupStatements),
        ]
        if backend == "postgresql":
            variants.append(("psycopg executemany", PsycopgExecutemanyStatements))
        for name, kind in variants * 2:
            with scratch_url(backend) as url:
                if url is None:
                    continue
                spent = time_group_writes(url, kind(backend))
                print(f"{backend:<10} log rows via {name:<28} {spent:5.0f} µs/batch")


def incident_batch(charger: int, n: int) -> WriteBatch:
    """A status batch whose every message also opens, continues or clears an incident (as in
    benchmarks/server_load.py's mix, where the upserts weigh the most)."""
    batch = status_batch(charger, n)
    at = T0 + timedelta(milliseconds=n)
    incident = Incident(
        id=f"CP{charger:05d}-{n // 3}", charger_id=f"CP{charger:05d}", connector_id=1,
        scheme="evgo-mrec", code="F001", title="Proximity fault", severity="critical",
        opened_at=at, opened_received_at=at, info="V=4.2", reading_value=4.2,
        reading_unit="V", last_seen_at=at, reports=n % 3 + 1,
    )
    batch.incidents = [incident.clear(at, ClearedBy.NO_ERROR) if n % 3 == 2 else incident]
    return batch


def compare_upserts(args: argparse.Namespace) -> None:
    print("# writer CPU per batch for the upserts, groups of 200 (lower is better)")
    for backend in ("sqlite", "postgresql"):
        if args.backend not in (backend, "both"):
            continue
        variants: list[tuple[str, type[GroupStatements]]] = [
            ("SQLAlchemy Core executemany", CoreUpsertStatements),
            ("evfault (driver executemany)", GroupStatements),
        ]
        for name, kind in variants * 2:
            with scratch_url(backend) as url:
                if url is None:
                    continue
                spent = time_group_writes(url, kind(backend), make=incident_batch)
                print(f"{backend:<10} upserts via {name:<29} {spent:5.0f} µs/batch")


@contextmanager
def scratch_url(backend: str) -> Iterator[str | None]:
    if backend == "postgresql":
        with pg_schema() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writers", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL",
                        help="SQLite durability mode")
    parser.add_argument("--compare-executemany", action="store_true",
                        help="also time the writer with the log rows through SQLAlchemy Core, "
                             "the driver's executemany and COPY")
    parser.add_argument("--compare-upserts", action="store_true",
                        help="also time the writer with the upserts through SQLAlchemy Core "
                             "and through the driver's executemany")
    args = parser.parse_args()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.platform()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{args.writers} writers, {args.seconds:g} s each, SQLite synchronous="
          f"{args.synchronous}")
    results: list[Result] = []
    for backend in ("sqlite", "postgresql"):
        if args.backend not in (backend, "both"):
            continue
        with scratch_url(backend) as url:
            if url is not None:
                results.append(asyncio.run(bench(url, backend, args)))
                print(results[-1].line(), flush=True)
    if args.compare_executemany:
        compare_executemany(args)
    if args.compare_upserts:
        compare_upserts(args)


if __name__ == "__main__":
    main()
