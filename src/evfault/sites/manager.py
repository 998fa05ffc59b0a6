"""The running sites: read chargers' states and the sources, allocate, and keep the result.

One `SiteManager` per server. It recomputes a site whenever a charger of the site changes
status or connectivity (the bus tells it) and at least every `RECOMPUTE_S`, so a source that
went quiet shows in the allocation within a tick of its grace running out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from evfault.auth.admin import audited
from evfault.auth.model import AuditEntry
from evfault.bus import Resync
from evfault.context import Services
from evfault.sites.allocate import allocate
from evfault.sites.config import SiteConfigError, site_from, site_to_dict
from evfault.sites.enforce import EnforceConfig, Enforcer
from evfault.sites.modbus import SourceMonitor, stop_task
from evfault.sites.model import Allocation, ChargerState, Reading, Site, SourceState
from evfault.sites.notify import SiteNotifier
from evfault.sites.states import as_seen, charger_state, site_link_cut
from evfault.store import sites as site_rows
from evfault.store.sites import Sample
from evfault.tracking.model import ConnectivityChange, StatusChange

if TYPE_CHECKING:
    from evfault.store.trust_store import TrustStore

log = logging.getLogger("evfault.sites")

RECOMPUTE_S = 1.0
SAMPLE_EVERY = timedelta(minutes=1)

UNKNOWN = Reading(SourceState.UNKNOWN)


def _same(a: Sample, b: Sample) -> bool:
    return all(abs(x - y) < 0.05 for x, y in (
        (a.limit_a, b.limit_a), (a.metered_a, b.metered_a), (a.allocated_a, b.allocated_a),
        (a.reserved_a, b.reserved_a)))


class SiteRuntime:
    """One site's latest picture: chargers' states, the sources' readings, the allocation."""

    def __init__(self, site: Site, clock: Callable[[], datetime],
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.site = site
        self.monitors = {name: SourceMonitor(f"site {site.id} {name}", spec, clock, on_change)
                         for name, spec in (("meter", site.meter), ("ems", site.ems))
                         if spec is not None}
        self.states: dict[str, ChargerState] = {}
        self.meter: Reading | None = UNKNOWN if site.meter else None
        self.ems: Reading | None = UNKNOWN if site.ems else None
        self.link_cut = False
        self.allocation: Allocation = allocate(site, {}, self.meter, self.ems)
        self.computed_at: datetime | None = None

    def look(self, states: dict[str, ChargerState]) -> None:
        """Take the chargers' states and the sources' readings as they are now."""
        raw = {name: monitor.reading for name, monitor in self.monitors.items()}
        self.states = states
        self.link_cut = site_link_cut(states, raw.values())
        self.meter = as_seen(raw.get("meter"), self.link_cut)
        self.ems = as_seen(raw.get("ems"), self.link_cut)


class SiteManager:
    def __init__(self, services: Services, sites: Iterable[Site],
                 recompute_s: float = RECOMPUTE_S, enforcer: Enforcer | None = None,
                 store: TrustStore | None = None) -> None:
        from evfault.ocpp.central import new_incident_id

        self.services = services
        self.store = store
        self.notifier = SiteNotifier(store, services.clock, new_incident_id)
        self._sampled: dict[str, tuple[datetime, Sample]] = {}
        settings = services.settings
        self.enforcer = enforcer or Enforcer(services, EnforceConfig(
            settings.site_dead_band, settings.site_profile_hold))
        self.runtimes: dict[str, SiteRuntime] = {
            s.id: SiteRuntime(s, services.clock, self.wake) for s in sites}
        self.from_file = set(self.runtimes)  # changed in the site file, not through the API
        self.recompute_s = recompute_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        # Told of each new allocation (enforcement, notifications, history hook in here).
        self.listeners: list[Callable[[SiteRuntime], object]] = []

    @property
    def sites(self) -> list[Site]:
        return [r.site for r in self.runtimes.values()]

    def site_of(self, charger_id: str) -> SiteRuntime | None:
        return next((r for r in self.runtimes.values() if r.site.charger(charger_id)), None)

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await self.notifier.start()
        await self._load_stored()
        for runtime in self.runtimes.values():
            for monitor in runtime.monitors.values():
                monitor.start()
        await self.recompute_all()
        self._task = asyncio.create_task(self._run(), name="evfault-sites")
        self._watch = asyncio.create_task(self._watch_bus(), name="evfault-sites-bus")

    async def stop(self) -> None:
        for task in (self._task, self._watch):
            if task is not None:
                await stop_task(task)
        for runtime in self.runtimes.values():
            for monitor in runtime.monitors.values():
                await monitor.stop()

    async def _load_stored(self) -> None:
        """Sites an admin put through the API (a site file's site of the same id wins)."""
        if self.store is None:
            return
        for raw in await self.store.read(site_rows.stored_sites):
            try:
                site = site_from("stored site", raw)
            except SiteConfigError as exc:
                log.error("a stored site cannot be used: %s", exc)
                continue
            if site.id not in self.runtimes and self._owner_conflict(site) is None:
                self.runtimes[site.id] = SiteRuntime(site, self.services.clock, self.wake)

    def _owner_conflict(self, site: Site) -> str | None:
        """A sentence when one of the site's chargers already belongs to another site."""
        for runtime in self.runtimes.values():
            if runtime.site.id == site.id:
                continue
            for charger in site.chargers:
                if runtime.site.charger(charger.id) is not None:
                    return (f"Charger {charger.id!r} already belongs to site "
                            f"{runtime.site.id!r}; a charger belongs to one site.")
        return None

    async def put_site(self, site: Site, actor: str) -> SiteRuntime:
        """Add or replace a site managed through the API; stored (and audited) first."""
        if site.id in self.from_file:
            raise SiteConfigError(f"Site {site.id!r} comes from the site file; change it there.")
        conflict = self._owner_conflict(site)
        if conflict:
            raise SiteConfigError(conflict)
        if self.store is not None:
            entry = AuditEntry(self.services.clock(), actor, "site.put", site.id, None)
            await self.store.write(audited(entry, site_rows.save_site, site.id,
                                           site_to_dict(site), entry.at, actor))
        old = self.runtimes.get(site.id)
        runtime = SiteRuntime(site, self.services.clock, self.wake)
        self.runtimes[site.id] = runtime
        if old is not None:
            for monitor in old.monitors.values():
                await monitor.stop()
        if self._task is not None:
            for monitor in runtime.monitors.values():
                monitor.start()
        await self.recompute(runtime)
        return runtime

    def wake(self) -> None:
        """Recompute soon (a charger changed, a source answered or stopped answering)."""
        self._wake.set()

    # ---- computing ----------------------------------------------------------------------

    async def recompute_all(self) -> None:
        for runtime in list(self.runtimes.values()):
            await self.recompute(runtime)

    async def recompute(self, runtime: SiteRuntime) -> Allocation:
        runtime.look(await self._states(runtime.site))
        now = self.services.clock()
        runtime.allocation = allocate(runtime.site, runtime.states, runtime.meter, runtime.ems,
                                      self.enforcer.held(now), self.enforcer.flagged)
        runtime.computed_at = now
        await self.enforcer.apply(runtime.site, runtime.allocation.shares)
        await self.notifier.update(runtime)
        await self._sample(runtime, now)
        for listener in self.listeners:
            outcome = listener(runtime)
            if asyncio.iscoroutine(outcome):
                await outcome
        return runtime.allocation

    async def _sample(self, runtime: SiteRuntime, now: datetime) -> None:
        """Keep the limit and its use for the day's plot: on a change, else once a minute."""
        a = runtime.allocation
        sample = Sample(now, a.limit_a, a.metered_a, round(a.allocated_a, 1),
                        round(a.reserved_a, 1))
        last = self._sampled.get(runtime.site.id)
        if last is not None and now - last[0] < SAMPLE_EVERY and _same(last[1], sample):
            return
        self._sampled[runtime.site.id] = (now, sample)
        if self.store is not None:
            await self.store.write(site_rows.add_sample, runtime.site.id, sample)

    async def history(self, site_id: str, since: datetime) -> list[Sample]:
        if self.store is None:
            return []
        return await self.store.read(site_rows.samples, site_id, since)

    async def _states(self, site: Site) -> dict[str, ChargerState]:
        store = self.services.store
        states: dict[str, ChargerState] = {}
        for charger in site.chargers:
            row = await store.charger(charger.id)
            connectors = await store.connectors(charger.id) if row and row.online else []
            states[charger.id] = charger_state(row.online if row else None,
                                               ((c.connector_id, c.status) for c in connectors))
        return states

    async def _run(self) -> None:
        while True:
            with suppress(TimeoutError):
                async with asyncio.timeout(self.recompute_s):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.recompute_all()
            except Exception:  # keep managing: one failed read must not stop load management
                log.exception("recomputing the sites failed")

    async def _watch_bus(self) -> None:
        subscription = self.services.bus.subscribe()
        try:
            async for change in subscription:
                if not isinstance(change, StatusChange | ConnectivityChange):
                    if isinstance(change, Resync):
                        self.wake()
                elif self.site_of(change.charger_id) is not None:
                    if isinstance(change, ConnectivityChange) and not change.online:
                        self.enforcer.disconnected(change.charger_id)
                    self.wake()
        finally:
            subscription.close()
