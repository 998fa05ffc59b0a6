"""Server CPU per message: evfault on its own transport, on its former uvicorn one, and raw echoes.

    .venv/bin/python benchmarks/transport_cpu.py [--chargers 200] [--seconds 8] [--runs 3]

Each server runs in its own process; the closed-loop load generator (lean_client.py, raw asyncio
Protocols) runs in this one. For each server the utime+stime of its process is read from
/proc/PID/stat before and after the load; CPU per answered message is the difference over the
answers. CPU time, not wall time, so a busy machine inflates every server alike; the ratios are
what to read. evfault runs on SQLite with every message stored before it is answered. The two
echoes (websockets' and one on evfault.net) show what the transports alone cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from server_load import (
    HERE,
    Target,
    closed_loop,
    evfault_target,
    raised_fd_limit,
    script_target,
)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def targets(workdir: Path, run: int) -> list[Target]:
    old = Target("evfault on uvicorn (former)",
                 [sys.executable, str(HERE / "baselines" / "uvicorn_evfault.py"), "0",
                  f"sqlite:///{workdir / f'old{run}.db'}"], f"sqlite:///{workdir / f'old{run}.db'}")
    return [evfault_target("evfault on evfault.net", f"sqlite:///{workdir / f'new{run}.db'}"),
            old, script_target("raw WebSocket echo", "echo_server.py"),
            script_target("echo on evfault.net", "net_echo.py")]


async def measure(target: Target, chargers: int, seconds: float) -> tuple[float, float]:
    """(µs of server CPU per message, messages per second)."""
    target.start()
    try:
        assert target.process is not None
        await asyncio.sleep(0.5)
        # The span includes the chargers' boots (one message each, under 1% of the load) and
        # a half-second settling pause, alike for every server.
        before = cpu_seconds(target.process.pid)
        result = await closed_loop(target.url, chargers, seconds)
        after = cpu_seconds(target.process.pid)
    finally:
        target.stop()
    return (after - before) * 1e6 / max(1, result.answered), result.rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chargers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}; "
          f"{args.chargers} chargers, {args.seconds:.0f} s each, {args.runs} runs", flush=True)
    figures: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with raised_fd_limit():
            for run in range(args.runs):
                for target in targets(Path(tmp), run):
                    cpu, rate = await measure(target, args.chargers, args.seconds)
                    figures.setdefault(target.name, []).append((cpu, rate))
                    print(f"  run {run + 1}: {target.name:30} {cpu:7.0f} µs/msg "
                          f"{rate:7.0f} msg/s", flush=True)
    print(f"\n{'server':30} {'µs CPU/msg (median)':>20} {'msg/s (median)':>15}")
    medians = {name: (statistics.median(c for c, _ in runs), statistics.median(r for _, r in runs))
               for name, runs in figures.items()}
    for name, (cpu, rate) in medians.items():
        print(f"{name:30} {cpu:20.0f} {rate:15.0f}")
    new, old = medians["evfault on evfault.net"][0], medians["evfault on uvicorn (former)"][0]
    echo, net_echo = medians["raw WebSocket echo"][0], medians["echo on evfault.net"][0]
    print(f"evfault on evfault.net / on former uvicorn: {new / old:.2f}x the CPU per message; "
          f"/ raw echo: {new / echo:.2f}x")
    print(f"echo on evfault.net / echo on websockets: {net_echo / echo:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
