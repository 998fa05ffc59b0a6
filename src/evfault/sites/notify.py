"""The seed's platform notifications for a site, raised and cleared by what really happens.

    ChargerOffline     a charger of the site is offline; its fallback (or capacity) is reserved
    ControllerOffline  evfault's link to the site is cut (every device silent at once)
    EmsOffline         the EMS stopped answering; its fallback limit applies
    EmsUnknown         the EMS cannot be known while the link to the site is cut
    MeterOffline       the meter stopped answering; its fallback consumption is assumed
    MeterUnknown       the meter cannot be known while the link to the site is cut

Their titles, summaries and recommended steps are the platform catalog's (all eight
languages); `info` records, language-free, what load management did about it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from evfault.sites.model import ChargerState, Reading, SourceState
from evfault.store import sites as rows
from evfault.store.sites import Notification

if TYPE_CHECKING:
    from evfault.sites.manager import SiteRuntime
    from evfault.store.trust_store import TrustStore

log = logging.getLogger("evfault.sites")

Key = tuple[str, str]  # (code, subject)


def _info(**values: Any) -> str:
    return orjson.dumps(values).decode()


def _source(code: str, reading: Reading | None, fallback: float | None, link_cut: bool,
            did: str) -> dict[Key, str]:
    if reading is None or fallback is None:
        return {}
    if reading.state is SourceState.OFFLINE:
        return {(f"{code}Offline", ""): _info(amps=fallback, action=did)}
    if reading.state is SourceState.UNKNOWN and link_cut:
        return {(f"{code}Unknown", ""): _info(amps=fallback, action=did)}
    return {}


def conditions(runtime: SiteRuntime) -> dict[Key, str]:
    """Every notification the site's present state calls for, with its info (pure)."""
    site, allocation = runtime.site, runtime.allocation
    wanted: dict[Key, str] = {}
    for share in allocation.shares:
        if share.state is ChargerState.OFFLINE:
            spec = site.charger(share.charger_id)
            kind = "fallback" if spec is not None and spec.fallback_enabled else "capacity"
            wanted[("ChargerOffline", share.charger_id)] = _info(
                amps=share.reserved_a, action="reserved", kind=kind)
    if runtime.link_cut:
        wanted[("ControllerOffline", "")] = _info()
    wanted |= _source("Ems", runtime.ems, site.ems.fallback_a if site.ems else None,
                      runtime.link_cut, "limit")
    wanted |= _source("Meter", runtime.meter, site.meter.fallback_a if site.meter else None,
                      runtime.link_cut, "assumed")
    return wanted


class SiteNotifier:
    """Keeps each site's open notifications in step with `conditions`, in the database."""

    def __init__(self, store: TrustStore | None, clock: Callable[[], datetime],
                 new_id: Callable[[], str]) -> None:
        self.store = store
        self.clock = clock
        self.new_id = new_id
        self.open: dict[str, dict[Key, Notification]] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Take up what an earlier run left open, so it clears when its cause has gone."""
        if self.store is None:
            return
        for note in await self.store.read(rows.active_notifications):
            self.open.setdefault(note.site_id, {})[note.key] = note

    def active(self, site_id: str) -> list[Notification]:
        return sorted(self.open.get(site_id, {}).values(), key=lambda n: n.opened_at)

    async def update(self, runtime: SiteRuntime) -> None:
        async with self._lock:
            await self._update(runtime.site.id, conditions(runtime))

    async def _update(self, site_id: str, wanted: dict[Key, str]) -> None:
        now = self.clock()
        current = self.open.setdefault(site_id, {})
        for key, note in list(current.items()):
            if key not in wanted:
                await self._write(rows.clear_notification, note.id, now)
                del current[key]
                log.info("site %s: %s %s cleared", site_id, note.code, note.subject)
            elif note.info != wanted[key]:
                await self._write(rows.update_info, note.id, wanted[key])
                current[key] = Notification(note.id, site_id, note.code, note.subject,
                                            wanted[key], note.opened_at)
        for key, info in wanted.items():
            if key not in current:
                note = Notification(self.new_id(), site_id, key[0], key[1], info, now)
                await self._write(rows.open_notification, note)
                current[key] = note
                log.warning("site %s: %s %s (%s)", site_id, key[0], key[1], info)

    async def _write(self, change: Callable[..., None], *args: Any) -> None:
        if self.store is not None:
            await self.store.write(change, *args)
