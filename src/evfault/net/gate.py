"""The gate that lets every charger in: `--unknown-chargers accept` without a registry.

It is what evfault did before chargers had credentials, kept as a real gate rather than a
missing one: refusals the transport decides (bad id, bad subprotocol, bad origin, limits) are
still counted here, so an operator can see who knocked and why they were turned away.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from evfault.ocpp.admission import Admission, Handshake, RefusalReason

# Distinct (id, address, reason) refusals remembered; the oldest are forgotten first, so a
# scan of random ids cannot grow memory.
MAX_REMEMBERED = 1_000


@dataclass(frozen=True, slots=True)
class Refusal:
    """Refused connections with one id, address and reason: how many, and when last."""

    charger_id: str
    address: str
    reason: RefusalReason
    count: int
    last_at: float  # time.time() of the latest


class RefusalLog:
    """Recent refusals, counted per (id, address, reason), bounded in size."""

    def __init__(self, clock: Callable[[], float] = time.time,
                 limit: int = MAX_REMEMBERED) -> None:
        self._clock = clock
        self._limit = limit
        self._rows: OrderedDict[tuple[str, str, RefusalReason], Refusal] = OrderedDict()

    def add(self, charger_id: str, address: str, reason: RefusalReason) -> None:
        key = (charger_id, address, reason)
        old = self._rows.pop(key, None)
        self._rows[key] = Refusal(charger_id, address, reason, (old.count if old else 0) + 1,
                                  self._clock())
        while len(self._rows) > self._limit:
            self._rows.popitem(last=False)

    def recent(self) -> list[Refusal]:
        """Newest first."""
        return list(reversed(self._rows.values()))


class OpenGate:
    """Admits every charger as accepted; counts the refusals the transport reports."""

    def __init__(self, refusals: RefusalLog | None = None) -> None:
        self.refusals = refusals or RefusalLog()

    async def admit(self, handshake: Handshake) -> Admission:
        return Admission.allow()

    def refused(self, charger_id: str, address: str, reason: RefusalReason) -> None:
        self.refusals.add(charger_id, address, reason)
