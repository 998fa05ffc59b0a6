"""How far behind the server is: event-loop lag, for the reconnect storm's back-pressure.

After a site-wide outage every charger reconnects and boots at once. When the event loop falls
behind (its timers fire late because every turn is full of work), new BootNotifications are
answered Pending with a retry interval spread over BUSY_RETRY_S by charger id (OCPP 1.6 §4.2,
2.0.1 B01: a Pending charger boots again after the interval), so the storm is spread out instead
of stretching every charger's latency. A charger already accepted keeps working as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib

TICK_S = 0.1
DECAY = 0.8  # per tick: a lag of 2 s is forgotten within ~2 s once the loop keeps up again
BUSY_RETRY_S = (30, 120)  # the interval a deferred boot is given, spread by charger id


def busy_retry_interval(charger_id: str) -> int:
    """A deterministic interval in BUSY_RETRY_S for this charger (same id, same answer)."""
    low, high = BUSY_RETRY_S
    return low + zlib.crc32(charger_id.encode()) % (high - low + 1)


class LoadWatch:
    """Measures how late the loop wakes a timer; `busy` when that exceeds the limit."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s  # 0: never busy
        self.lag = 0.0  # seconds, decaying peak of recent lateness
        self.deferred = 0  # boots answered Pending because of load (for operators and benches)
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self.limit_s > 0 and self.lag > self.limit_s

    def start(self) -> None:
        if self.limit_s > 0 and self._task is None:
            self._task = asyncio.create_task(self._watch(), name="evfault-load-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            asked = time.monotonic()
            await asyncio.sleep(TICK_S)
            late = time.monotonic() - asked - TICK_S
            self.lag = max(late, self.lag * DECAY)
