"""Server benchmark: evfault (SQLite, PostgreSQL) against two yardsticks, in one run.

    .venv/bin/python benchmarks/server_load.py [--chargers 200] [--seconds 10]
                                               [--connections 10000] [--skip-postgres]

Part 1, throughput. N chargers each send StatusNotifications back to back (a realistic mix of
EVgo compound codes with readings, ChargeX codes and NoError) for a fixed time against:
  1. evfault on SQLite      (every message decoded, tracked and durably stored before it is
  2. evfault on PostgreSQL   answered; the run checks the stored row count afterwards)
  3. a central system written the standard way with the `ocpp` package (no storage)
  4. a raw WebSocket echo server (the ceiling: what one Python process can do at all)
Each server runs in its own process (its own core); the load generator runs in this one, with
the lean client of lean_client.py (raw asyncio Protocols) for all four servers alike.

Part 2, scale. The simulator connects --connections chargers to evfault on SQLite (boot,
heartbeats, occasional faults) and the run reports server memory per connection and the
latency the chargers saw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from lean_client import Charger, connect

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get("EVFAULT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


# ---- servers under test ------------------------------------------------------------------


@dataclass
class Target:
    name: str
    command: list[str]
    db: str | None = None
    process: subprocess.Popen[str] | None = None
    url: str = ""

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, text=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"OCPP (ws://\S+)/\{chargePointId\}", line)
        if found:
            self.url = found.group(1)
        elif line.startswith("PORT "):
            self.url = f"ws://127.0.0.1:{int(line.split()[1])}/ocpp"
        else:
            self.stop()
            raise SystemExit(f"{self.name} did not start: {line!r}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def rss_kib(self) -> int:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def evfault_target(name: str, db: str) -> Target:
    # Every simulated charger comes from this one address: lift the per-address limit.
    command = [sys.executable, "-m", "evfault", "serve", "--port", "0", "--db", db,
               "--log-level", "warning", "--heartbeat-interval", "3600",
               "--max-connections-per-address", "100000"]
    return Target(name, command, db)


def script_target(name: str, script: str) -> Target:
    return Target(name, [sys.executable, str(HERE / "baselines" / script), "0"])


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def stored_status_events(db: str) -> int:
    """How many StatusNotifications the server stored (to prove nothing was skipped)."""
    from sqlalchemy import create_engine, text

    url = db.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM status_events")).scalar_one())
    finally:
        engine.dispose()


# ---- the load: a realistic mix of StatusNotifications -------------------------------------


def payload_mix() -> list[dict[str, Any]]:
    """One charger's cycle of messages: faults open, shrink, clear; built by the MREC encoder."""
    from evfault.sim.mrec import (
        Condition,
        build_no_error,
        build_resolved,
        build_status_notification,
    )

    return [
        build_status_notification([Condition("F001", 1.11), Condition("F003", 5.0)],
                                  connector_id=1, status="Finishing"),
        build_status_notification([Condition("F003", 5.1)], connector_id=1, status="Finishing"),
        build_no_error(connector_id=1, status="Available"),
        build_status_notification([Condition("CX006", 0.0)], connector_id=2, scheme="chargex"),
        build_status_notification([Condition("CX019", 105.0)], connector_id=2,
                                  scheme="chargex"),
        build_resolved("CX006", connector_id=2, status="Faulted"),
        build_no_error(connector_id=2, status="Available"),
        build_status_notification([Condition("F009", 96.0)], connector_id=1),
        build_no_error(connector_id=1, status="Available"),
        {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"},
        build_no_error(connector_id=1, status="Charging"),
    ]


@dataclass
class LoadResult:
    sent: int = 0
    answered: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


BOOT = b'[2,"boot","BootNotification",{"chargePointVendor":"bench","chargePointModel":"b"}]'


class LoadCharger:
    """One charger of the closed loop: boots, waits for the start, then sends back to back."""

    def __init__(self, index: int, frames: list[bytes], result: LoadResult) -> None:
        self.index = index
        self.frames = frames
        self.result = result
        self.sample = index % 4 == 0  # a quarter of the chargers record every latency
        self.n = 0
        self.running = False
        self.busy = False  # a request is waiting for its answer
        self.booted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.link: Charger | None = None

    async def open(self, url: str) -> None:
        self.link = await connect(f"{url}/BENCH-{self.index:05d}", "ocpp1.6", self.on_answer)
        self.link.send_text(BOOT)
        await self.booted

    def send_next(self) -> None:
        assert self.link is not None
        n = self.n
        self.n += 1
        body = self.frames[n % len(self.frames)]
        self.busy = True
        self.link.send_text(b'[2,"' + str(n).encode() + b'","StatusNotification",' + body + b"]")

    def on_answer(self, link: Charger, answer: bytes) -> None:
        if not self.booted.done():
            self.booted.set_result(None)
            return
        self.busy = False
        result = self.result
        result.sent += 1
        if answer[1:2] == b"4":  # CALLERROR (the echo server answers with type 2)
            result.errors += 1
        else:
            result.answered += 1
        if self.sample:
            result.latencies.append(time.perf_counter() - link.sent_at)
        if self.running:
            self.send_next()


async def closed_loop(url: str, chargers: int, seconds: float) -> LoadResult:
    frames = [orjson.dumps(p) for p in payload_mix()]
    result = LoadResult()
    fleet = [LoadCharger(i, frames, result) for i in range(chargers)]
    try:
        await asyncio.gather(*(c.open(url) for c in fleet))
        await asyncio.sleep(0.5)  # settle after the boots
        t0 = time.perf_counter()
        for c in fleet:
            c.running = True
            c.send_next()
        await asyncio.sleep(seconds)
        for c in fleet:
            c.running = False
        result.seconds = time.perf_counter() - t0
        deadline = time.perf_counter() + 10
        while any(c.busy for c in fleet) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # the answers still on their way are counted too
    finally:
        for c in fleet:
            if c.link is not None:
                c.link.close()
    return result


# ---- part 1 -------------------------------------------------------------------------------


async def throughput(args: argparse.Namespace, workdir: Path) -> dict[str, LoadResult]:
    results: dict[str, LoadResult] = {}
    with contextlib.ExitStack() as stack:
        targets = [evfault_target("evfault SQLite", f"sqlite:///{workdir / 'bench.db'}")]
        if not args.skip_postgres:
            targets.append(evfault_target("evfault PostgreSQL",
                                          stack.enter_context(postgres_schema())))
        targets += [script_target("ocpp package (no storage)", "ocpp_package_csms.py"),
                    script_target("raw WebSocket echo", "echo_server.py")]
        for target in targets:
            target.start()
            try:
                results[target.name] = await closed_loop(target.url, args.chargers, args.seconds)
            finally:
                target.stop()
            if target.db:
                stored = stored_status_events(target.db)
                print(f"  {target.name}: {results[target.name].answered} answered, "
                      f"{stored} StatusNotifications stored", flush=True)
    return results


def report_throughput(results: dict[str, LoadResult]) -> None:
    print(f"\n{'server':28} {'msg/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:28} {r.rate:9.0f} {r.pct(50):8.2f} {r.pct(99):8.2f} {r.errors:7d}")
    base = results.get("ocpp package (no storage)")
    echo = results.get("raw WebSocket echo")
    for name in ("evfault SQLite", "evfault PostgreSQL"):
        if name in results and base and echo:
            r = results[name].rate
            print(f"{name}: {r / base.rate:.2f}x the ocpp-package baseline, "
                  f"{r / echo.rate:.2f}x the echo ceiling")


# ---- part 2 -------------------------------------------------------------------------------


async def scale(args: argparse.Namespace, workdir: Path) -> None:
    from evfault.sim.fleet import run_fleet
    from evfault.sim.scenario import parse_scenario
    from evfault.sim.stats import FleetStats

    n = args.connections
    scenario = parse_scenario({
        "name": "scale", "chargers": n, "prefix": "SCALE-", "protocol": "1.6",
        "connectors": 2, "heartbeat": args.heartbeat, "ramp": 400, "sessions": None,
        "faults": [{"codes": ["F009"], "per_hour": 2, "duration": [20, 60]},
                   {"codes": ["CX002"], "per_hour": 2, "duration": [20, 60]}],
    })
    target = evfault_target("evfault SQLite", f"sqlite:///{workdir / 'scale.db'}")
    target.start()
    try:
        await asyncio.sleep(1.0)
        idle = target.rss_kib()
        stats, stop = FleetStats(), asyncio.Event()
        fleet = asyncio.create_task(run_fleet(target.url, scenario, 7, stop, stats=stats))
        t0 = time.perf_counter()
        while stats.connected < n and time.perf_counter() - t0 < n / 400 + 120:  # noqa: ASYNC110
            await asyncio.sleep(1)
        connected_after = time.perf_counter() - t0
        stats.latencies.clear()
        await asyncio.sleep(args.hold)
        loaded = target.rss_kib()
        held = stats.connected  # open right now; the fleet closes them all when it stops
        stop.set()
        await fleet
    finally:
        target.stop()
    per_conn = (loaded - idle) * 1024 / max(1, held)
    lat = stats.latencies
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = sorted(lat)[int(0.99 * len(lat))] * 1000 if lat else float("nan")
    print(f"\nscale: {held}/{n} chargers connected in {connected_after:.0f} s; "
          f"held {args.hold:.0f} s; {stats.answered} answers, {stats.errors} errors")
    print(f"  server memory: {idle / 1024:.0f} MiB idle -> {loaded / 1024:.0f} MiB loaded = "
          f"{per_conn / 1024:.1f} KiB per connection (target <= 50 KB)")
    print(f"  latency while held: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 <= 200 ms)")


@contextlib.asynccontextmanager
async def raised_fd_limit() -> AsyncIterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--heartbeat", type=int, default=60)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    import platform
    import tempfile

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    with tempfile.TemporaryDirectory() as tmp:
        async with raised_fd_limit():
            if not args.skip_throughput:
                print(f"throughput: {args.chargers} chargers, {args.seconds:.0f} s each",
                      flush=True)
                report_throughput(await throughput(args, Path(tmp)))
            if not args.skip_scale:
                await scale(args, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
