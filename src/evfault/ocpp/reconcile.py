"""Reconcile on every (re)connect: ask a charger with open incidents for its current status.

A NoError lost in a crash, or a restart inside a reboot window, would leave an incident open
forever: nothing the charger sends later mentions it again. So whenever a charger connects
(after evfault restarted, every charger does) and the tracker holds active incidents for it,
evfault sends TriggerMessage(StatusNotification) — once for a 1.6 charger (all connectors),
once per EVSE with incidents for 2.0.1 — and for `reconcile_window` seconds a connector that
answers Available with no error has its incidents closed as `reconciled`. Each request is in
the command history (actor `evfault:reconcile`); a charger that refuses or ignores it keeps
its incidents as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from evfault.commands.model import CommandStatus
from evfault.ocpp.admission import Registration

if TYPE_CHECKING:
    from evfault.commands.commander import Commander
    from evfault.ocpp.central import CentralSystem
    from evfault.ocpp.session import Session

log = logging.getLogger("evfault.ocpp")

ACTOR = "evfault:reconcile"


class Reconciler:
    """Asks each newly connected charger that has open incidents for its status."""

    def __init__(self, central: CentralSystem, commander: Commander, window_s: float) -> None:
        self.central = central
        self.commander = commander
        self.window = timedelta(seconds=window_s)
        self._tasks: set[asyncio.Task[None]] = set()
        self.asked = 0  # requests sent (for tests and operators)

    def start(self) -> None:
        if self.window > timedelta(0):
            self.central.after_connect = self.connected

    async def stop(self) -> None:
        self.central.after_connect = None
        for task in tuple(self._tasks):
            task.cancel()
        for task in tuple(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def connected(self, session: Session) -> None:
        if session.registration is not Registration.ACCEPTED:
            return  # a pending or rejected charger is not asked for anything
        # What is open at the moment of connecting: what the charger reports from now on is
        # news, not something to reconcile.
        now = self.central.services.clock()
        held = self.central.tracker.reconcile(session.charger_id, now + self.window)
        if not held:
            return
        task = asyncio.create_task(self._ask(session, held),
                                   name=f"evfault-reconcile-{session.charger_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask(self, session: Session, held: list[int]) -> None:
        charger_id = session.charger_id
        targets: list[int | None] = [None] if session.version == "1.6" else [
            c or None for c in held]
        for connector in dict.fromkeys(targets):
            self.asked += 1
            try:
                outcome = await self.commander.send(
                    charger_id, "trigger_message",
                    {"message": "StatusNotification", "connector_id": connector},
                    actor=ACTOR, timeout=self.window.total_seconds())
            except Exception:  # the connection went, the store hiccupped: the next connect asks
                log.warning("%s: asking for its status failed", charger_id, exc_info=True)
                return
            if outcome.status is not CommandStatus.ACCEPTED:
                log.info("%s: asked for its status to reconcile open incidents: %s",
                         charger_id, outcome.status.value)
