"""Deadlines of many chargers in one heap, so a tick only touches what has expired.

Moving or cancelling a deadline never searches the heap: the charger remembers the token of
its live entry per timer, and an entry whose token no longer matches is dropped when it
surfaces (lazy deletion). Each timer of a charger has at most one live entry, so the heap
stays in proportion to the chargers, plus the stale entries still waiting to surface.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from enum import IntEnum


class Timer(IntEnum):
    """The deadlines a charger can have; the value indexes its per-timer slots."""

    REBOOT = 0  # the reboot window after a boot ends
    OFFLINE = 1  # the grace after a dropped connection ends
    SILENCE = 2  # a connected charger has been quiet for too long (checked, then re-armed)


TIMERS = tuple(Timer)

Entry = tuple[datetime, int, str, Timer]  # (when, token, charger id, timer)


class Deadlines:
    """A min-heap of (when, token, charger, timer); tokens are unique and increasing."""

    __slots__ = ("_heap", "_last_token")

    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._last_token = 0

    def push(self, when: datetime, charger_id: str, timer: Timer) -> int:
        """Add a deadline; returns the token that identifies this entry (never 0)."""
        self._last_token += 1
        heapq.heappush(self._heap, (when, self._last_token, charger_id, timer))
        return self._last_token

    def pop_due(self, now: datetime) -> Entry | None:
        """Remove and return the earliest entry if it is due at `now`, else None."""
        if self._heap and self._heap[0][0] <= now:
            return heapq.heappop(self._heap)
        return None

    def __len__(self) -> int:
        return len(self._heap)
