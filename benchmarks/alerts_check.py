"""What does one round of the alert rules and of self-healing cost on a mid-size fleet?

    .venv/bin/python benchmarks/alerts_check.py [--chargers 10000] [--errors 2000]
        [--rounds 20]

Fills a fresh SQLite database with N chargers and E active errors (the fleet of
benchmarks/dashboard_load.py), puts an alert rule on every critical error and the built-in
self-healing rules in force, then times, in one process:

- the first alert round, which writes one outbox message per critical error;
- a steady round, what every node does every --alert-interval: read the active errors once,
  self-healing's reads and verdicts (this node holds none of the chargers, so it sends
  nothing), the alert decisions (nothing new is due) and the outbox's due messages (none:
  the first attempts failed and wait for their retry);
- of that, the alert decisions alone, on errors already read;
- as the yardstick, the store's read of the active errors alone (which the dashboard and a
  restarting tracker make too): the round should cost little more.

Median and p95 over the rounds, in milliseconds; the share of one core is the median divided
by the default interval (5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dashboard_load import fleet, p95

from evfault.alerts.healer import Healer
from evfault.alerts.service import Alerts
from evfault.bus import InProcessBus
from evfault.catalog import default_catalog
from evfault.context import Services
from evfault.settings import Settings
from evfault.store.sql import open_store

INTERVAL_S = Settings().alert_interval
RULES = """
self_healing:
  - name: restart
    match: {code: [InternalError, GroundFailure, HighTemperature]}
    after: 5m
    actions: [soft_reset, hard_reset]
alerts:
  - name: critical
    match: {severity: critical}
    after: 1m
    repeat: 4h
    channels: [{webhook: "http://127.0.0.1:9/hook"}]
"""


async def timed(rounds: int, one: object) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await one()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return samples


def line(name: str, samples: list[float]) -> str:
    median = statistics.median(samples)
    return (f"{name:<32} {median * 1000:>9.1f} {p95(samples) * 1000:>9.1f}  "
            f"{median / INTERVAL_S * 100:>6.2f} % of a core")


async def bench(args: argparse.Namespace, folder: Path) -> None:
    rules = folder / "rules.yaml"
    rules.write_text(RULES)
    url = f"sqlite:///{folder / 'bench.db'}"
    store = open_store(url)
    await store.start()
    for batch in fleet(args.chargers, args.errors, 0):
        await store.write(batch)
    settings = Settings(db=url, rules=str(rules), webhook_secret="bench")
    services = Services(settings, store, InProcessBus(), default_catalog())
    alerts = Alerts(settings, store, services.clock)
    healer = Healer(services, set, lambda: alerts.rules, alerts.db)
    alerts.healing = healer.still_trying
    alerts.before_check = healer.tick
    await alerts.start(run=False)
    try:
        started = time.perf_counter()
        written = len(await alerts.check())
        first = time.perf_counter() - started
        await alerts.round()  # the first attempts (the webhook's port is closed), untimed
        incidents = await store.active_incidents()
        steady = await timed(args.rounds, alerts.round)
        deciding = await timed(args.rounds, lambda: alerts.check(incidents=incidents))
        reading = await timed(args.rounds, store.active_incidents)
    finally:
        await alerts.stop()
        await store.close()
    print(f"# {platform.node()} · {platform.processor() or platform.machine()} · "
          f"Python {platform.python_version()} · SQLite · {args.chargers} chargers, "
          f"{args.errors} active errors · {time.strftime('%Y-%m-%d')}")
    print(f"first alert round: {written} messages written in {first * 1000:.0f} ms")
    print(f"{'round':<32} {'median ms':>9} {'p95 ms':>9}  at a {INTERVAL_S:g} s interval")
    print(line("steady round", steady))
    print(line("alert decisions alone", deciding))
    print(line("yardstick: read active errors", reading))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--errors", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evfault-alerts-bench-") as folder:
        asyncio.run(bench(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
