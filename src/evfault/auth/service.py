"""Trust, running: the gate, the accounts and the admin actions over one trust store.

Built by the server (and by tests) once; `attach` connects it to the central system, whose
sessions learn of approvals and rejections and whose replacements feed the conflict monitor.
A background task flushes what the gate learned, reloads registry changes made elsewhere
(another node, the CLI) and clears conflicts that have gone quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from evfault.auth.accounts import Accounts
from evfault.auth.admin import Admin
from evfault.auth.conflicts import ConflictMonitor
from evfault.auth.gate import RegistryGate
from evfault.auth.model import ChargerEntry, Refusal, UnknownChargers
from evfault.ocpp.admission import Registration
from evfault.settings import Settings
from evfault.store import registry
from evfault.store.trust_store import TrustStore

if TYPE_CHECKING:
    from evfault.ocpp.central import CentralSystem

log = logging.getLogger("evfault.auth")

FLUSH_S = 2.0  # what the gate learned reaches the database (and other nodes) this often
REFRESH_S = 5.0  # registry changes made elsewhere are picked up this often
REFRESH_OVERLAP = timedelta(seconds=30)  # clocks of nodes sharing a database may differ
REFUSALS_KEPT = 1000  # distinct (id, address, reason) rows the database keeps


def _flush(connection: Connection, seen: list[ChargerEntry], refusals: list[Refusal],
           at: datetime) -> None:
    registry.record_seen(connection, seen, at)
    registry.add_refusals(connection, refusals)
    if refusals:
        registry.prune_refusals(connection, REFUSALS_KEPT)


class Trust:
    """Everything that decides who may connect, log in and change things."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime],
                 store: TrustStore | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store or TrustStore(settings.db)
        self.gate = RegistryGate(UnknownChargers.parse(settings.unknown_chargers), clock)
        self.accounts = Accounts(self.store, clock, settings.session_hours)
        self.admin = Admin(self.store, clock, on_charger=self.gate.update,
                           on_accounts=self.accounts.forget)
        self.conflicts: ConflictMonitor | None = None
        self._refreshed_at: datetime | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()

    async def start(self) -> None:
        await self.store.start()
        await self.accounts.start(self.settings.secret_key)
        self._refreshed_at = self.clock()
        self.gate.load(await self.store.read(registry.chargers))
        self.gate.wake = self._wake.set
        self._task = asyncio.create_task(self._maintain(), name="evfault-trust")

    async def attach(self, central: CentralSystem) -> None:
        """Let the gate see who is connected, and the central report replacements."""
        from evfault.ocpp.central import new_incident_id

        self.gate.is_connected = central.sessions.__contains__
        self.conflicts = ConflictMonitor(central.services, new_incident_id)
        await self.conflicts.start()
        central.on_replace = self.conflicts.replaced
        self.gate.on_change(lambda entry: _registration_changed(central, entry))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.conflicts is not None:
            await self.conflicts.drain()
        with contextlib.suppress(Exception):
            await self.flush()
        self.gate.close()
        await self.store.close()

    # ---- keeping memory and database in step -----------------------------------------------

    async def flush(self) -> None:
        """Write the chargers the gate met and the refusals it counted."""
        async with self._flush_lock:
            seen, refusals = self.gate.take_seen(), self.gate.refusals.take()
            if not seen and not refusals:
                return
            try:
                await self.store.write(_flush, seen, refusals, self.clock())
            except Exception:
                self.gate.put_back_seen(seen)
                self.gate.refusals.put_back(refusals)
                raise

    async def refresh(self) -> None:
        """Load registry entries changed since the last look (by anyone, anywhere)."""
        now = self.clock()
        since = (self._refreshed_at or now) - REFRESH_OVERLAP
        changed = await self.store.read(registry.chargers, since)
        self._refreshed_at = now
        self.gate.load(changed)

    async def _maintain(self) -> None:
        last_refresh = asyncio.get_running_loop().time()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_S):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
                if asyncio.get_running_loop().time() - last_refresh >= REFRESH_S:
                    last_refresh = asyncio.get_running_loop().time()
                    await self.refresh()
                    if self.conflicts is not None:
                        await self.conflicts.check()
            except Exception:  # the database may be away for a moment; try again later
                log.exception("keeping the charger registry in step failed")


def _registration_changed(central: CentralSystem, entry: ChargerEntry) -> None:
    """A connected charger's new standing: its next boot is answered by it; rejected, it goes."""
    session = central.sessions.get(entry.charger_id)
    if session is None:
        return
    session.registration = entry.state
    if entry.state is Registration.REJECTED:
        log.warning("%s: rejected by an operator; closing its connection", entry.charger_id)
        task = asyncio.ensure_future(session.close(1008, "rejected by an operator"))
        _closing.add(task)
        task.add_done_callback(_closing.discard)


_closing: set[asyncio.Future[None]] = set()
