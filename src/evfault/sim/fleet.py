"""A fleet of virtual chargers in one process: one task each, started along a connect ramp.

    stats = FleetStats()
    stop = asyncio.Event()
    task = asyncio.create_task(run_fleet("ws://127.0.0.1:8180/ocpp", scenario, seed=1,
                                         stop_event=stop, stats=stats))
    ...                     # read stats.sent, stats.answered, stats.percentile(99) meanwhile
    stop.set(); await task

The ramp spreads connections over chargers/ramp seconds so a central system is not hit by the
whole fleet at once (thousands of TLS/WebSocket handshakes in one instant is a thundering herd
no real network produces).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.sim.charger import VirtualCharger, utc_now
from evfault.sim.opening import assign
from evfault.sim.scenario import Scenario
from evfault.sim.site import SiteDevices
from evfault.sim.stats import FleetStats

_STOP_GRACE = 5.0  # seconds chargers get to close their connections politely


def charger_ids(scenario: Scenario) -> list[str]:
    """The charge point ids of the fleet: prefix + a zero-padded number (SIM-001 …)."""
    width = max(3, len(str(scenario.chargers)))
    return [f"{scenario.prefix}{n:0{width}d}" for n in range(1, scenario.chargers + 1)]


def build_fleet(
    url: str,
    scenario: Scenario,
    seed: int | str,
    stats: FleetStats,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> list[VirtualCharger]:
    """The chargers of a scenario, each with its own generator derived from the seed."""
    cat = catalog if catalog is not None else default_catalog()
    chargers = [
        VirtualCharger(index, ident, url, scenario, seed, stats, cat,
                       start_at=index / scenario.ramp, clock=clock)
        for index, ident in enumerate(charger_ids(scenario))
    ]
    assign(chargers, scenario.opening)
    return chargers


async def run_fleet(
    url: str,
    scenario: Scenario,
    seed: int | str = 0,
    stop_event: asyncio.Event | None = None,
    *,
    duration: float | None = None,
    stats: FleetStats | None = None,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FleetStats:
    """Run the fleet against the central system at `url` (each charger at url/{id}) until
    `stop_event` is set or `duration` seconds have passed; return its counters."""
    stats = stats if stats is not None else FleetStats()
    stop = stop_event if stop_event is not None else asyncio.Event()
    chargers = build_fleet(url, scenario, seed, stats, catalog, clock)
    stats.chargers = len(chargers)
    inner = asyncio.Event()  # chargers stop on this one, so the caller's event stays theirs
    site = SiteDevices(scenario.site) if scenario.site is not None else None
    if site is not None:
        stats.site_urls = await site.start()
    tasks = [asyncio.create_task(c.run(inner), name=f"sim:{c.ident}") for c in chargers]
    try:
        await _wait(stop, duration, tasks)
    finally:
        inner.set()
        for charger in chargers:
            charger.wake()
        await _finish(tasks)
        if site is not None:
            await site.stop()
    return stats


async def _wait(stop: asyncio.Event, duration: float | None, tasks: list[asyncio.Task[None]]
                ) -> None:
    """Until stop is set, the duration ends, or every charger has finished on its own."""
    stopper = asyncio.create_task(stop.wait())
    everyone = asyncio.gather(*tasks, return_exceptions=True) if tasks else stopper
    try:
        await asyncio.wait({stopper, asyncio.ensure_future(everyone)}, timeout=duration,
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopper


async def _finish(tasks: list[asyncio.Task[None]]) -> None:
    done, pending = await asyncio.wait(tasks, timeout=_STOP_GRACE) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            raise failure  # a bug in the simulator: show it rather than lose it
