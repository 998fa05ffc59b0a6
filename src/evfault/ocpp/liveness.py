"""The liveness probe: a charger about to count as silent is asked for a Heartbeat first.

A charger that is connected but has said nothing for `silence_heartbeats` heartbeat intervals
counts as offline. Some are merely quiet (a lost heartbeat, a firmware that heartbeats late), so
`liveness_probe` seconds before that moment evfault sends it TriggerMessage(Heartbeat) and waits
for the answer: any answer is a sign of life that moves the deadline on (so does the Heartbeat
that follows), and only a charger that answers nothing within that time is declared offline.
The best peers do this to avoid false offline alarms. Each probe is in the command history
(actor `evfault:liveness`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from evfault.commands.model import CommandStatus

if TYPE_CHECKING:
    from evfault.commands.commander import Commander
    from evfault.ocpp.central import CentralSystem

log = logging.getLogger("evfault.ocpp")

ACTOR = "evfault:liveness"


class LivenessProbe:
    """Asks quiet chargers for a Heartbeat shortly before their silence would count."""

    def __init__(self, central: CentralSystem, commander: Commander, lead_s: float) -> None:
        self.central = central
        self.commander = commander
        self.lead = timedelta(seconds=lead_s)
        self._probed: dict[str, datetime] = {}  # charger → the deadline its probe was for
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.lead > timedelta(0):
            self._loop = asyncio.create_task(self._probe_forever(), name="evfault-liveness")

    async def stop(self) -> None:
        for task in (self._loop, *self._tasks):
            if task is not None:
                task.cancel()
        for task in (self._loop, *self._tasks):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(charger, silence deadline) of the connected chargers to probe now."""
        found = []
        tracker = self.central.tracker
        for charger_id in list(self.central.sessions):
            deadline = tracker.silence_deadline(charger_id)
            if deadline is None or self._probed.get(charger_id) == deadline:
                continue
            if now >= deadline - self.lead:
                found.append((charger_id, deadline))
        return found

    def probe_due(self, now: datetime) -> None:
        for charger_id, deadline in self.due(now):
            self._probed[charger_id] = deadline
            task = asyncio.create_task(self._probe(charger_id, deadline, now))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _probe(self, charger_id: str, deadline: datetime, now: datetime) -> None:
        wait = max(0.05, (deadline - now).total_seconds())
        outcome = await self.commander.send(charger_id, "trigger_message",
                                            {"message": "Heartbeat"}, actor=ACTOR, timeout=wait)
        if outcome.status is CommandStatus.TIMEOUT:
            log.info("%s: silent, and no answer to a TriggerMessage(Heartbeat) within %.1f s",
                     charger_id, wait)

    async def _probe_forever(self) -> None:
        period = max(0.05, min(1.0, self.lead.total_seconds() / 4))
        while True:
            await asyncio.sleep(period)
            try:
                self._forget_gone()
                self.probe_due(self.central.services.clock())
            except Exception:  # keep probing: one failure must not stop liveness checks
                log.exception("liveness probe round failed")

    def _forget_gone(self) -> None:
        for charger_id in [c for c in self._probed if c not in self.central.sessions]:
            del self._probed[charger_id]
