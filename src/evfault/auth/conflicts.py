"""Two devices fighting over one charger id: a platform notification instead of silent swaps.

The central system reports every replacement of a live connection (`replaced`). Three within a
minute open a `platform:ChargerIdConflict` incident on the charger (connector 0), which the
dashboard lists with the platform notifications and the API with the active errors; ten quiet
minutes clear it. The tracker never holds it (tracking/restore.py), so no report, NoError or
reboot of the charger's can end it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from evfault.auth.counters import FlapDetector
from evfault.context import Services
from evfault.decode.model import SetRule
from evfault.store.model import WriteBatch
from evfault.tracking.model import ChangeKind, ClearedBy, Incident, IncidentChange
from evfault.tracking.restore import PLATFORM_SCHEME

log = logging.getLogger("evfault.auth")

CONFLICT_CODE = "ChargerIdConflict"


class ConflictMonitor:
    """Counts replacements per charger id and keeps its conflict incident open or cleared."""

    def __init__(self, services: Services, new_id: Callable[[], str],
                 detector: FlapDetector | None = None) -> None:
        self.services = services
        self.detector = detector or FlapDetector()
        self._new_id = new_id
        self._open: dict[str, Incident] = {}
        self._lock = asyncio.Lock()  # incident versions are written in the order they happen
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Pick up conflicts an earlier run left open, so they clear once quiet."""
        for incident in await self.services.store.active_incidents():
            if incident.scheme == PLATFORM_SCHEME and incident.code == CONFLICT_CODE:
                self._open[incident.charger_id] = incident
                self.detector.replaced(incident.charger_id,
                                       incident.last_seen_at or incident.opened_at)

    def active(self, charger_id: str) -> Incident | None:
        return self._open.get(charger_id)

    def replaced(self, charger_id: str) -> None:
        """A new connection replaced the live one of `charger_id` (called by the central)."""
        at = self.services.clock()
        if self.detector.replaced(charger_id, at):
            self._spawn(self._raise(charger_id, at))

    async def check(self, now: datetime | None = None) -> None:
        """Clear the conflicts that have been quiet long enough."""
        now = now or self.services.clock()
        for charger_id in [c for c in self._open if self.detector.settled(c, now)]:
            await self._clear(charger_id, now)
        self.detector.forget_old(now)

    async def drain(self) -> None:
        """Wait for the notifications being written (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ---- the incident ----------------------------------------------------------------------

    def _spawn(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _raise(self, charger_id: str, at: datetime) -> None:
        async with self._lock:
            current = self._open.get(charger_id)
            if current is None:
                incident, kind = self._opened(charger_id, at), ChangeKind.OPENED
                log.warning("%s: connections for this id keep replacing each other; two devices "
                            "may share it", charger_id)
            else:
                incident = replace(current, last_seen_at=at, reports=current.reports + 1)
                kind = ChangeKind.CONTINUED
            await self._write(IncidentChange(kind, incident))

    async def _clear(self, charger_id: str, at: datetime) -> None:
        async with self._lock:
            current = self._open.get(charger_id)
            if current is not None:
                cleared = replace(current.clear(at, ClearedBy.RESOLVED), cleared_received_at=at)
                await self._write(IncidentChange(ChangeKind.CLEARED, cleared))

    async def _write(self, change: IncidentChange) -> None:
        try:
            await self.services.store.write(WriteBatch(incidents=[change.incident]))
        except Exception:  # the next replacement or check tries again
            log.exception("%s: storing the charger id conflict failed", change.incident.charger_id)
            return
        incident = change.incident
        if incident.active:
            self._open[incident.charger_id] = incident
        else:
            self._open.pop(incident.charger_id, None)
        self.services.bus.publish(change)

    def _opened(self, charger_id: str, at: datetime) -> Incident:
        entry = self.services.catalog.get(PLATFORM_SCHEME, CONFLICT_CODE)
        title = entry.text().title if entry else "Charger id used by two connections"
        severity = str(entry.severity) if entry else "warning"
        window = int(self.detector.window.total_seconds())
        return Incident(
            id=self._new_id(), charger_id=charger_id, connector_id=0,
            scheme=PLATFORM_SCHEME, code=CONFLICT_CODE, title=title, severity=severity,
            opened_at=at, opened_received_at=at, last_seen_at=at,
            info=f"{self.detector.threshold} connections replaced each other within {window} s",
            reports=self.detector.threshold, set_rule=SetRule.ACCUMULATE,
        )
