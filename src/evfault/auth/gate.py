"""RegistryGate: the `Gate` the transport asks on every upgrade, answered from memory.

A reconnect storm of 10,000 chargers must not become 10,000 database reads or 10,000 argon2
runs: the registry is held in memory (loaded at start, updated on every change and refreshed
from the database for changes other nodes or the CLI made), and a password once verified is
remembered as an HMAC under a per-process key (passwords.VerifiedCache). What the gate learns
(new chargers, when each was seen, refusals) waits in memory for the next periodic flush.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from evfault.auth.counters import RefusalCounter
from evfault.auth.decide import admit_known, admit_unknown, may_replace
from evfault.auth.model import ChargerEntry, UnknownChargers
from evfault.auth.passwords import VerifiedCache, verify_password
from evfault.ocpp.admission import Admission, Handshake, RefusalReason, Registration

log = logging.getLogger("evfault.auth")

# Unknown ids waiting for approval at most: a stream of made-up ids must not fill the registry.
MAX_PENDING = 10_000
# argon2 holds ~19 MiB per run and releases the GIL: two threads keep the loop free and the
# memory bounded however many chargers knock at once.
VERIFY_THREADS = 2

Listener = Callable[[ChargerEntry], None]


class RegistryGate:
    """Decides who may connect from the registry in memory; counts every refusal."""

    def __init__(self, policy: UnknownChargers, clock: Callable[[], datetime],
                 is_connected: Callable[[str], bool] = lambda _: False,
                 verify: Callable[[str, str], bool] = verify_password) -> None:
        self.policy = policy
        self.clock = clock
        self.is_connected = is_connected
        self.refusals = RefusalCounter()
        self._verify = verify
        self._entries: dict[str, ChargerEntry] = {}
        self._seen: dict[str, ChargerEntry] = {}  # what the next flush records
        self._holders: dict[str, str] = {}  # id -> address of the connection admitted last
        self._verified = VerifiedCache()
        self._failed = VerifiedCache()  # the last wrong password, so a retry loop is cheap
        self._pending = 0
        self._listeners: list[Listener] = []
        self._executor: ThreadPoolExecutor | None = None
        self.wake: Callable[[], None] = lambda: None  # asks for an early flush

    # ---- the registry in memory ------------------------------------------------------------

    def load(self, entries: list[ChargerEntry]) -> None:
        """Take entries read from the database (all at start, the changed ones later)."""
        for entry in entries:
            self.update(entry)

    def update(self, entry: ChargerEntry) -> None:
        """An entry changed (here, on another node or through the CLI)."""
        old = self._entries.get(entry.charger_id)
        self._pending += (entry.state is Registration.PENDING) - (
            old is not None and old.state is Registration.PENDING)
        self._entries[entry.charger_id] = entry
        if old is None or old.state is not entry.state:
            for listener in self._listeners:
                listener(entry)

    def on_change(self, listener: Listener) -> None:
        """Call `listener` whenever a charger's registration changes."""
        self._listeners.append(listener)

    def entry(self, charger_id: str) -> ChargerEntry | None:
        return self._entries.get(charger_id)

    def pending(self) -> list[ChargerEntry]:
        """Chargers waiting for approval, by id (from memory: the dashboard asks often)."""
        if not self._pending:
            return []
        waiting = (e for e in self._entries.values() if e.state is Registration.PENDING)
        return sorted(waiting, key=lambda e: e.charger_id)

    def __len__(self) -> int:
        return len(self._entries)

    def take_seen(self) -> list[ChargerEntry]:
        seen = list(self._seen.values())
        self._seen.clear()
        return seen

    def put_back_seen(self, seen: list[ChargerEntry]) -> None:
        for entry in seen:
            self._seen.setdefault(entry.charger_id, entry)

    # ---- the Gate protocol -----------------------------------------------------------------

    async def admit(self, handshake: Handshake) -> Admission:
        at = self.clock()
        entry = self._entries.get(handshake.charger_id)
        if entry is None:
            admission = self._unknown(handshake, at)
        else:
            admission = admit_known(entry, handshake, self._known_password)
            if not admission.admitted and entry.password_hash and handshake.basic_password:
                admission = await self._verify_and_admit(entry, handshake, admission)
        if admission.admitted:
            admission = self._take_over(entry, handshake, admission)
        if admission.admitted:
            self._saw(handshake, at)
        else:
            self._count(handshake.charger_id, handshake.address, admission, at)
        return admission

    def refused(self, charger_id: str, address: str, reason: RefusalReason) -> None:
        self.refusals.count(charger_id, address, reason, self.clock())

    # ---- rules that need the gate's memory -------------------------------------------------

    def _unknown(self, handshake: Handshake, at: datetime) -> Admission:
        admission = admit_unknown(self.policy)
        if admission.admitted and admission.registration is Registration.PENDING \
                and self._pending >= MAX_PENDING:
            return Admission.refuse(503, RefusalReason.LIMIT,
                                    "too many unknown chargers wait for approval")
        if admission.admitted:
            entry = ChargerEntry(handshake.charger_id, admission.registration, created_at=at)
            self.update(entry)
            log.info("%s: unknown charger from %s admitted as %s", handshake.charger_id,
                     handshake.address, admission.registration.value)
        return admission

    def _known_password(self, entry: ChargerEntry, password: str) -> bool:
        """Only what was verified before: argon2 itself runs in a thread (_verify_and_admit)."""
        assert entry.password_hash is not None
        return self._verified.known(entry.charger_id, entry.password_hash, password)

    async def _verify_and_admit(self, entry: ChargerEntry, handshake: Handshake,
                                first: Admission) -> Admission:
        """argon2 for a password not seen before; remembered either way."""
        password, stored = handshake.basic_password, entry.password_hash
        assert password is not None and stored is not None
        if handshake.basic_user != entry.charger_id or \
                self._failed.known(entry.charger_id, stored, password):
            return first
        if first.reason not in (RefusalReason.BAD_PASSWORD,):
            return first  # refused for something a password cannot fix (e.g. no TLS)
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(VERIFY_THREADS, "evfault-argon2")
        good = await loop.run_in_executor(self._executor, self._verify, stored, password)
        (self._verified if good else self._failed).remember(entry.charger_id, stored, password)
        current = self._entries.get(entry.charger_id, entry)
        return admit_known(current, handshake, self._known_password)

    def _take_over(self, entry: ChargerEntry | None, handshake: Handshake,
                   admission: Admission) -> Admission:
        """Refuse an unproven newcomer for an id that is connected from elsewhere."""
        charger_id = handshake.charger_id
        holder = self._holders.get(charger_id) if self.is_connected(charger_id) else None
        proven = entry is not None and entry.has_credentials
        if not may_replace(proven, handshake.address, holder):
            return Admission.refuse(409, RefusalReason.IN_USE,
                                    "this charger id is connected from another address")
        self._holders[charger_id] = handshake.address
        return admission

    def _saw(self, handshake: Handshake, at: datetime) -> None:
        entry = self._entries.get(handshake.charger_id)
        if entry is None:
            return
        seen = replace(entry, first_seen=entry.first_seen or at, last_seen=at,
                       last_address=handshake.address)
        self._entries[entry.charger_id] = seen
        self._seen[entry.charger_id] = seen
        if entry.created_at == at:  # new this moment: recorded soon, so operators see it
            self.wake()

    def _count(self, charger_id: str, address: str, admission: Admission, at: datetime) -> None:
        reason = admission.reason or RefusalReason.REJECTED
        row = self.refusals.count(charger_id, address, reason, at)
        if row.count == 1:  # one line per key between flushes: a retry loop must not flood
            log.warning("%s: refused a connection from %s: %s (%s)", charger_id, address,
                        admission.message, reason.value)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
