"""In-memory counters of the gate and the login form: refusals, flapping ids, failed logins.

Pure: each is told the time. A reconnect storm or a password-guessing run touches a dict
entry per attempt; the database sees the refusal counts only in periodic flushes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta

from evfault.auth.model import Refusal

RefusalKey = tuple[str, str, str]


class RefusalCounter:
    """Refusals per (charger id, address, reason) since the last flush to the database.

    At most `limit` keys wait between two flushes; beyond that the least recent key's count is
    dropped (a flood of made-up ids must not grow memory without bound).
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._waiting: dict[RefusalKey, Refusal] = {}  # insertion order: least recent first
        self.dropped = 0

    def count(self, charger_id: str, address: str, reason: str, at: datetime) -> Refusal:
        key = (charger_id, address, str(reason))
        old = self._waiting.pop(key, None)
        row = (Refusal(charger_id, address, str(reason), at, at, 1) if old is None
               else replace(old, last_at=max(at, old.last_at), count=old.count + 1))
        self._waiting[key] = row  # re-inserted: now the most recent
        while len(self._waiting) > self.limit:
            del self._waiting[next(iter(self._waiting))]
            self.dropped += 1
        return row

    def take(self) -> list[Refusal]:
        """Everything counted since the last call (each count is the increase)."""
        rows = list(self._waiting.values())
        self._waiting.clear()
        return rows

    def put_back(self, rows: list[Refusal]) -> None:
        """A flush failed: add these counts back to what waits for the next one."""
        for row in rows:
            old = self._waiting.pop(row.key, None)
            if old is not None:
                row = replace(row, first_at=min(row.first_at, old.first_at),
                              last_at=max(row.last_at, old.last_at),
                              count=row.count + old.count)
            self._waiting[row.key] = row

    def __len__(self) -> int:
        return len(self._waiting)


class FlapDetector:
    """Notices one charger id being taken over again and again (two devices fighting).

    `replaced` returns True once `threshold` replacements fell within `window`; the charger
    then counts as conflicted until `quiet` passes without a replacement.
    """

    def __init__(self, threshold: int = 3, window: timedelta = timedelta(seconds=60),
                 quiet: timedelta = timedelta(minutes=10)) -> None:
        self.threshold = threshold
        self.window = window
        self.quiet = quiet
        self._times: dict[str, deque[datetime]] = {}

    def replaced(self, charger_id: str, at: datetime) -> bool:
        times = self._times.setdefault(charger_id, deque(maxlen=self.threshold))
        times.append(at)
        return len(times) >= self.threshold and at - times[0] <= self.window

    def last(self, charger_id: str) -> datetime | None:
        times = self._times.get(charger_id)
        return times[-1] if times else None

    def settled(self, charger_id: str, now: datetime) -> bool:
        """True when no replacement happened within `quiet` of `now`."""
        last = self.last(charger_id)
        return last is None or now - last >= self.quiet

    def forget_old(self, now: datetime) -> None:
        """Drop ids quiet for longer than `quiet`, so the map only holds recent fights."""
        for charger_id in [c for c, t in self._times.items() if now - t[-1] >= self.quiet]:
            del self._times[charger_id]


class LoginLimiter:
    """Backs off login attempts per address and per user name after repeated failures.

    After `free` failures in a row each further attempt must wait twice as long as the last
    (1 s, 2 s, 4 s … up to `longest`); a success clears the name's and the address's count.
    """

    def __init__(self, free: int = 5, longest: timedelta = timedelta(minutes=15)) -> None:
        self.free = free
        self.longest = longest
        self._failures: dict[str, tuple[int, datetime]] = {}

    def _keys(self, address: str, name: str) -> tuple[str, str]:
        return (f"addr:{address}", f"user:{name.strip().lower()}")

    def wait(self, address: str, name: str, now: datetime) -> timedelta:
        """How long this attempt must still wait (zero: it may go ahead)."""
        longest = timedelta(0)
        for key in self._keys(address, name):
            failures, last = self._failures.get(key, (0, now))
            if failures >= self.free:
                backoff = min(self.longest, timedelta(seconds=2 ** (failures - self.free)))
                longest = max(longest, last + backoff - now)
        return longest

    def failed(self, address: str, name: str, now: datetime) -> None:
        for key in self._keys(address, name):
            failures, _ = self._failures.get(key, (0, now))
            self._failures[key] = (failures + 1, now)
        if len(self._failures) > 100_000:  # a spray of names must not grow the map for ever
            cutoff = now - self.longest
            self._failures = {k: v for k, v in self._failures.items() if v[1] > cutoff}

    def succeeded(self, address: str, name: str) -> None:
        for key in self._keys(address, name):
            self._failures.pop(key, None)
