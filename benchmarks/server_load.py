"""Server benchmark: CPU per message, latency and a reconnect storm, every server in one run.

    make bench-server            (installs the Node load generator, then runs this)
    .venv/bin/python benchmarks/server_load.py [--chargers 200] [--seconds 8]
        [--storm 10000] [--skip-postgres] [--skip-storm] [--skip-peer]

The load comes from outside every Python process under test: benchmarks/node/load.js (Node,
`ws`) keeps N chargers sending StatusNotifications back to back (a realistic mix of EVgo
compound codes with readings, ChargeX codes and NoError, built by evfault's MREC encoder and
handed to the generator as a file). The figure that matters on a shared, noisy machine is the
server's CPU time per answered message — utime + stime of the server's whole process tree, read
from /proc before and after the load — not wall-clock throughput; both are printed.

Servers, all measured in the same run:
  evfault on SQLite and on PostgreSQL  every message decoded, tracked and durably stored before
                                       it is answered (the run checks the stored row count)
  ocpp package                         a central system written the usual way with the `ocpp`
                                       package's ChargePoint: schema validation, no storage
  raw WebSocket echo                   sends every frame straight back: the floor
  Node ocpp-rpc peer                   benchmarks/node/peer.js: ocpp-rpc in strict mode, one
                                       INSERT per message into PostgreSQL before answering

Targets (issue 15): evfault SQLite ≤ 1/3 of the ocpp package's CPU per message and ≤ 2× the
echo's; with 10 chargers a p50 latency no worse than the Node peer's; evfault on PostgreSQL at
least the Node peer's messages per second at 10, 100 and 500 chargers.

The storm: benchmarks/node/storm.js connects --storm chargers to evfault on SQLite within a few
seconds, each booting and reporting two connectors; printed: how many were answered, the time
until the last answer, p99 latency, boots told to come back later, reconnects, memory per
connection while they are held.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
PG_URL = os.environ.get("EVFAULT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TICKS = os.sysconf("SC_CLK_TCK")


# ---- CPU and memory of a process tree, from /proc ---------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its live descendants (the workers of --workers N)."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text()
            rest = fields[fields.rindex(")") + 2:].split()
            total += int(rest[11]) + int(rest[12])
    return total / TICKS


def rss_kib(pid: int) -> int:
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError, AttributeError):
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return total


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
        found = re.search(r"OCPP (wss?://\S+)/\{chargePointId\}", line)
        if found:
            self.url = found.group(1)
        elif line.startswith("PORT "):
            self.url = f"ws://127.0.0.1:{int(line.split()[1])}/ocpp"
        else:
            self.stop()
            raise SystemExit(f"{self.name} did not start: {line!r}")
        time.sleep(0.5)  # let start-up work (migrations, restore) finish before measuring

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def evfault_target(name: str, db: str, *extra: str) -> Target:
    # Every simulated charger comes from this one address: lift the per-address limit.
    command = [sys.executable, "-m", "evfault", "serve", "--port", "0", "--db", db,
               "--log-level", "warning", "--heartbeat-interval", "3600",
               "--max-connections-per-address", "100000", "--unknown-chargers", "accept", *extra]
    return Target(name, command, db)


def script_target(name: str, script: str) -> Target:
    return Target(name, [sys.executable, str(HERE / "baselines" / script), "0"])


def peer_target(db: str) -> Target:
    return Target("Node ocpp-rpc peer (PostgreSQL)", ["node", str(NODE_DIR / "peer.js"), db])


@contextlib.contextmanager
def postgres_schema() -> Iterator[tuple[str, str]]:
    """A fresh schema: (URL for evfault, libpq URL for the Node peer)."""
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (f"{PG_URL}?options=-csearch_path%3D{schema}",
               f"{PG_URL}?options=-c%20search_path%3D{schema}")
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


# ---- the load -----------------------------------------------------------------------------


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
class Run:
    target: str
    chargers: int
    answered: int
    errors: int
    seconds: float
    cpu_s: float
    p50_ms: float | None
    p99_ms: float | None

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.answered * 1e6 if self.answered else float("nan")


def closed_loop(target: Target, chargers: int, seconds: float, frames: Path,
                prefix: str) -> Run:
    load = subprocess.Popen(["node", str(NODE_DIR / "load.js"), target.url, str(chargers),
                             str(seconds), str(frames), prefix],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert load.stdin is not None and load.stdout is not None
    ready = load.stdout.readline()
    if ready.strip() != "READY":
        load.kill()
        raise SystemExit(f"the load generator could not connect to {target.name}: {ready!r}")
    before = cpu_seconds(target.pid)
    load.stdin.write("go\n")
    load.stdin.flush()
    line = load.stdout.readline()
    after = cpu_seconds(target.pid)
    load.wait(30)
    result = json.loads(line)
    return Run(target.name, chargers, result["answered"], result["errors"], result["seconds"],
               after - before, result["p50_ms"], result["p99_ms"])


# ---- parts -------------------------------------------------------------------------------


def measure(target: Target, counts: list[int], args: argparse.Namespace, frames: Path,
            runs: list[Run]) -> None:
    target.start()
    try:
        for n in counts:
            prefix = f"B{len(runs):02d}-"
            run = closed_loop(target, n, args.seconds, frames, prefix)
            runs.append(run)
            print(f"  {run.target:34} {n:4d} chargers: {run.rate:7.0f} msg/s, "
                  f"{run.cpu_us:6.0f} µs CPU/msg, p50 {fmt(run.p50_ms)} ms", flush=True)
    finally:
        target.stop()
    if target.db:
        stored = stored_status_events(target.db)
        answered = sum(r.answered for r in runs if r.target == target.name)
        print(f"  {target.name}: {answered} answered, {stored} StatusNotifications stored",
              flush=True)


def fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.1f}"


def report(runs: list[Run], main_count: int) -> None:
    def at(name: str, n: int) -> Run | None:
        return next((r for r in runs if r.target == name and r.chargers == n), None)

    print(f"\n{'server':34} {'chargers':>8} {'msg/s':>8} {'µs CPU/msg':>11} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6}")
    for r in runs:
        print(f"{r.target:34} {r.chargers:8d} {r.rate:8.0f} {r.cpu_us:11.0f} "
              f"{fmt(r.p50_ms):>7} {fmt(r.p99_ms):>7} {r.errors:6d}")
    print()
    base, echo = at("ocpp package", main_count), at("raw WebSocket echo", main_count)
    for name in dict.fromkeys(r.target for r in runs if r.target.startswith("evfault")):
        mine = at(name, main_count)
        if mine and base and echo:
            print(f"{name} ({main_count} chargers): {mine.cpu_us / base.cpu_us:.2f}x the ocpp "
                  f"package's CPU per message (target <= 0.33), {mine.cpu_us / echo.cpu_us:.2f}x "
                  "the echo's (target <= 2)")
    peer = "Node ocpp-rpc peer (PostgreSQL)"
    for n in sorted({r.chargers for r in runs if r.target == peer}):
        theirs = at(peer, n)
        for name in ("evfault PostgreSQL", "evfault SQLite"):
            mine = at(name, n)
            if mine and theirs and theirs.rate:
                line = (f"{name} vs the Node peer at {n} chargers: {mine.rate / theirs.rate:.2f}x "
                        "its messages per second")
                if mine.p50_ms and theirs.p50_ms:
                    line += f", p50 {mine.p50_ms:.1f} against {theirs.p50_ms:.1f} ms"
                print(line)
    one, two = at("evfault PostgreSQL", main_count), at("evfault PostgreSQL --workers 2",
                                                        main_count)
    if one and two and one.rate:
        print(f"evfault PostgreSQL --workers 2: {two.rate / one.rate:.2f}x the messages per "
              "second of one worker (target >= 1.6)")


def storm(args: argparse.Namespace, workdir: Path) -> None:
    target = evfault_target("evfault SQLite", f"sqlite:///{workdir / 'storm.db'}",
                            *(["--workers", str(args.storm_workers)] if args.storm_workers else []))
    target.start()
    try:
        idle = rss_kib(target.pid)
        before = cpu_seconds(target.pid)
        generator = subprocess.Popen(["node", str(NODE_DIR / "storm.js"), target.url,
                                      str(args.storm), str(args.ramp)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert generator.stdin is not None and generator.stdout is not None
        result = json.loads(generator.stdout.readline())
        cpu = cpu_seconds(target.pid) - before
        time.sleep(2)
        held = rss_kib(target.pid)
        generator.stdin.write("done\n")
        generator.stdin.flush()
        generator.wait(60)
    finally:
        target.stop()
    answered = stored_status_events(target.db) if target.db else 0
    n = result["chargers"]
    print(f"\nstorm: {result['finished']}/{n} chargers booted and reported within "
          f"{args.ramp:.0f} s of each other; last answer after {result['last_answer_s']:.1f} s; "
          f"p50 {fmt(result['p50_ms'])} ms, p99 {fmt(result['p99_ms'])} ms per call")
    print(f"  boots told to come back later: {result['deferred']}; reconnects: "
          f"{result['retries']}; StatusNotifications stored: {answered} (expected {2 * n})")
    print(f"  server CPU for the storm: {cpu:.1f} s; memory {idle / 1024:.0f} MiB idle -> "
          f"{held / 1024:.0f} MiB holding {n} = {(held - idle) / n:.1f} KiB per connection "
          "(target <= 16 KB)")


def ensure_node() -> None:
    if shutil.which("node") is None:
        raise SystemExit("bench-server needs Node.js (node) for its load generator.")
    if not (NODE_DIR / "node_modules" / "ws").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR)],
                       check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--peer-chargers", default="10,100,500",
                        help="charger counts for the PostgreSQL comparison with the Node peer")
    parser.add_argument("--storm", type=int, default=10_000)
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--storm-workers", type=int, default=0)
    parser.add_argument("--workers", action="store_true",
                        help="also measure evfault --workers 2 on PostgreSQL (needs NATS)")
    parser.add_argument("--bus", default="nats://127.0.0.1:4222",
                        help="the NATS server that joins the workers")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-storm", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    ensure_node()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every server
    load = os.getloadavg()[0]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, load {load:.2f}, {when}")
    peer_counts = [int(n) for n in args.peer_chargers.split(",") if n]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        frames = workdir / "frames.json"
        frames.write_text(json.dumps(payload_mix()))
        runs: list[Run] = []
        if not args.skip_throughput:
            print(f"closed loop, {args.seconds:.0f} s per run:", flush=True)
            sqlite = evfault_target("evfault SQLite", f"sqlite:///{workdir / 'bench.db'}")
            measure(sqlite, sorted({10, args.chargers}), args, frames, runs)
            if not args.skip_postgres:
                ev_url, peer_url = stack.enter_context(postgres_schema())
                pg = evfault_target("evfault PostgreSQL", ev_url)
                measure(pg, sorted({args.chargers, *peer_counts}), args, frames, runs)
                if args.workers:
                    two_url, _ = stack.enter_context(postgres_schema())
                    two = evfault_target("evfault PostgreSQL --workers 2", two_url,
                                         "--workers", "2", "--bus", args.bus)
                    measure(two, [args.chargers], args, frames, runs)
                if not args.skip_peer:
                    measure(peer_target(peer_url), peer_counts, args, frames, runs)
            measure(script_target("ocpp package", "ocpp_package_csms.py"), [args.chargers],
                    args, frames, runs)
            measure(script_target("raw WebSocket echo", "echo_server.py"), [args.chargers],
                    args, frames, runs)
            report(runs, args.chargers)
        if not args.skip_storm:
            storm(args, workdir)


if __name__ == "__main__":
    main()
