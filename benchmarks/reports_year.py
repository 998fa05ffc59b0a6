"""The reliability reports over a year of a 1,000-charger network, on SQLite and PostgreSQL.

    python benchmarks/reports_year.py [--chargers 1000] [--sessions 6] [--pg URL]

Fills a fresh database with a year of history as the server stores it — 2 ports per charger,
`--sessions` charging sessions per port and day (Preparing → Charging → Finishing → Available),
two faults per port and week (an incident with its Faulted period), and a charger offline about
once a week — then times what each endpoint does: the SQL reads of store/history.py and the
same pure analytics `evfault analyze` uses. The PostgreSQL run needs `--pg` (a database the
script may create tables in; it uses a schema of its own and drops it).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from evfault.analytics import evchart, report
from evfault.analytics.model import Window
from evfault.analytics.mttr import mttr
from evfault.analytics.uptime import port_uptime
from evfault.store import schema
from evfault.store.engines import writer_engine
from evfault.store.history import history, incident_history, session_ends
from evfault.store.migrate import upgrade
from evfault.store.times import iso_utc
from evfault.store.urls import normalise_url

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 20_000
CODES = [("ocpp1.6", "GroundFailure"), ("evgo-mrec", "F001"), ("chargex-mrec", "CX011"),
         ("ocpp1.6", "OverCurrentFailure"), ("evgo-mrec", "F009")]


def rows(chargers: int, sessions: int, seed: int = 3) -> dict[str, Iterator[dict[str, Any]]]:
    rng = random.Random(seed)
    ids = [f"CP-{n:04d}" for n in range(chargers)]

    def charger_rows() -> Iterator[dict[str, Any]]:
        for cid in ids:
            yield {"id": cid, "vendor": rng.choice(["Acme", "Bolt", "Cirrus"]), "model": "DC",
                   "firmware": "1.2", "protocol": "1.6", "online": True, "first_seen": START,
                   "last_seen": END}

    def connector_rows() -> Iterator[dict[str, Any]]:
        for cid in ids:
            for port in (1, 2):
                yield {"charger_id": cid, "connector_id": port, "status": "Available",
                       "updated_at": END}

    def status_and_incidents() -> Iterator[tuple[str, dict[str, Any]]]:
        for cid in ids:
            for port in (1, 2):
                events: list[tuple[datetime, str, Any]] = []
                day = START
                while day < END:
                    for _ in range(sessions):
                        events.append((day + timedelta(minutes=rng.uniform(0, 1380)), "s", None))
                    day += timedelta(days=1)
                for _ in range(104):
                    at = START + timedelta(minutes=rng.uniform(0, 525_000))
                    events.append((at, "f", rng.choice(CODES)))
                events.sort(key=lambda e: e[0])
                status, last = "Available", START
                yield "s", _status(cid, port, "Available", None, START)
                for at, kind, code in events:
                    at = max(at, last + timedelta(seconds=1))
                    if kind == "s":
                        for state, after in (("Preparing", 0), ("Charging", 2),
                                             ("Finishing", 40), ("Available", 42)):
                            when = at + timedelta(minutes=after)
                            yield "s", _status(cid, port, state, status, when)
                            status = state
                        last = at + timedelta(minutes=42)
                    else:
                        repair = timedelta(minutes=rng.expovariate(1 / 90))
                        yield "s", _status(cid, port, "Faulted", status, at)
                        yield "s", _status(cid, port, "Available", "Faulted", at + repair)
                        status, last = "Available", at + repair
                        yield "i", _incident(cid, port, code, at, at + repair)

    def connectivity_rows() -> Iterator[dict[str, Any]]:
        for cid in ids:
            for _ in range(52):
                went = START + timedelta(minutes=rng.uniform(0, 525_000))
                back = went + timedelta(minutes=rng.expovariate(1 / 30))
                yield {"charger_id": cid, "online": False, "at": went, "reason": "silent"}
                yield {"charger_id": cid, "online": True, "at": back, "reason": "restored"}

    return {"chargers": charger_rows(), "connectors": connector_rows(),
            "mixed": status_and_incidents(), "connectivity": connectivity_rows()}


def _status(cid: str, port: int, status: str, previous: str | None, at: datetime
            ) -> dict[str, Any]:
    return {"charger_id": cid, "connector_id": port, "status": status, "previous": previous,
            "at": at, "time_flagged": False}


def _incident(cid: str, port: int, code: tuple[str, str], opened: datetime, cleared: datetime
              ) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "charger_id": cid, "connector_id": port, "scheme": code[0],
            "code": code[1], "title": code[1], "severity": "critical", "opened_at": opened,
            "opened_received_at": opened, "status": "Faulted", "warning_only": False,
            "time_flagged": False, "reports": 1, "cleared_at": cleared, "cleared_by": "NoError",
            "cleared_received_at": cleared, "set_rule": "replace"}


def fill(connection: Connection, chargers: int, sessions: int) -> dict[str, int]:
    """Bulk rows through the driver's executemany (the store's own writer is per message)."""
    counts = {"status_changes": 0, "incidents": 0, "connectivity": 0}
    made = rows(chargers, sessions)
    connection.execute(insert(schema.chargers), list(made["chargers"]))
    connection.execute(insert(schema.connectors), list(made["connectors"]))
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    columns = {"s": ["charger_id", "connector_id", "status", "previous", "at", "time_flagged"],
               "i": list(_incident("x", 1, CODES[0], START, START)),
               "c": ["charger_id", "online", "at", "reason"]}
    tables = {"s": "status_changes", "i": "incidents", "c": "connectivity"}
    sql = {k: f"INSERT INTO {tables[k]} ({', '.join(cols)}) VALUES "
              f"({', '.join(mark for _ in cols)})" for k, cols in columns.items()}
    batch: dict[str, list[tuple[Any, ...]]] = {"s": [], "i": [], "c": []}

    def flush(kind: str) -> None:
        if batch[kind]:
            connection.exec_driver_sql(sql[kind], batch[kind])  # type: ignore[arg-type]
            counts[tables[kind]] += len(batch[kind])
            batch[kind] = []

    def add(kind: str, row: dict[str, Any]) -> None:
        batch[kind].append(tuple(_value(row[c], sqlite) for c in columns[kind]))
        if len(batch[kind]) >= CHUNK:
            flush(kind)

    for kind, row in made["mixed"]:
        add(kind, row)
    for row in made["connectivity"]:
        add("c", row)
    for kind in batch:
        flush(kind)
    return counts


def _value(value: Any, sqlite: bool) -> Any:
    if sqlite and isinstance(value, datetime):
        return iso_utc(value)  # how UtcDateTime keeps times in SQLite
    if sqlite and isinstance(value, bool):
        return int(value)
    return value


def timed(label: str, work: Callable[[], Any], runs: int = 3) -> None:
    best, cpu = float("inf"), float("inf")
    for _ in range(runs):
        began = time.process_time(), time.perf_counter()
        work()
        cpu = min(cpu, time.process_time() - began[0])
        best = min(best, time.perf_counter() - began[1])
    # SQLite runs inside this process, so its CPU is the whole cost; PostgreSQL's server adds
    # its own (the wall time includes it, and the machine's other load).
    print(f"  {label:44} {cpu:6.2f} s CPU here, {best:7.2f} s wall (best of {runs})")


def run(url: str, chargers: int, sessions: int) -> None:
    engine = writer_engine(normalise_url(url))
    try:
        upgrade(engine)
        began = time.perf_counter()
        with engine.begin() as connection:
            counts = fill(connection, chargers, sessions)
        print(f"{engine.dialect.name}: filled in {time.perf_counter() - began:.0f} s — "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        window = Window(START, END)
        with engine.connect() as connection:
            def uptime() -> Any:
                found = history(connection, START, END)
                outages = report.found_outages(found, END)
                return port_uptime(outages, found.ports, window)

            def mttr_code() -> Any:
                found = incident_history(connection, START, END)
                return mttr(found.incidents, "code", found.chargers, window)

            def reliability() -> Any:
                built = report.build(history(connection, START, END), window)
                return built, session_ends(connection, START, END)

            def ev_chart() -> Any:
                quarter = evchart.quarter("2025Q4")
                found = history(connection, START - timedelta(days=31), END)
                return evchart.report(report.found_outages(found, END), found.ports, quarter)

            timed("GET /reports/uptime (a year, every port)", uptime)
            timed("GET /reports/mttr?group_by=code", mttr_code)
            timed("GET /reports/ev-chart?quarter=2025Q4", ev_chart)
            timed("GET /reports/reliability (the page's data)", reliability)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=2, help="per port and day")
    parser.add_argument("--pg", help="a PostgreSQL URL to run on as well")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d} · {platform.machine()} · {os.cpu_count()} cores · "
          f"{args.chargers:,} chargers × 2 ports, a year, {args.sessions} sessions/port/day")
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/year.db", args.chargers, args.sessions)
    if args.pg:
        schema_name = "bench_" + uuid.uuid4().hex[:8]
        import psycopg

        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema_name}"')
        try:
            sep = "&" if "?" in args.pg else "?"
            run(f"{args.pg}{sep}options=-csearch_path%3D{schema_name}", args.chargers,
                args.sessions)
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema_name}" CASCADE')


if __name__ == "__main__":
    main()
