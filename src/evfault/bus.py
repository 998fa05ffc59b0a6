"""Live changes from the OCPP side to whoever watches (dashboard streams, alerts).

The in-process bus fans every change out to its subscribers. With several nodes
(evfault.nats_bus) the same bus also carries the changes other nodes made: a subscriber that
acts on a charger (self-healing, alerts) subscribes with `local_only=True` and hears only the
changes of the chargers this node holds, so each change is acted on exactly once.

A subscriber that falls behind never slows the publisher: its queue is bounded, and on overflow
it is told to resync (the dashboard then reloads its state from the store) instead of receiving
a partial stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from evfault.tracking.model import Change


@dataclass(frozen=True, slots=True)
class Resync:
    """The subscriber missed changes; it should reload the current state."""


Delivery = Change | Resync


class Subscription:
    def __init__(self, bus: InProcessBus, maxsize: int, local_only: bool = False) -> None:
        self._bus = bus
        self.local_only = local_only
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize)
        self._overflowed = False

    def _offer(self, item: Change) -> None:
        if self._overflowed:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self._overflowed = True
            self._drain()
            self._queue.put_nowait(Resync())

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def get(self) -> Delivery:
        item = await self._queue.get()
        if isinstance(item, Resync):
            self._overflowed = False
        return item

    def get_nowait(self) -> Delivery | None:
        """The next queued change, or None when none is waiting."""
        try:
            item = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        if isinstance(item, Resync):
            self._overflowed = False
        return item

    def close(self) -> None:
        self._bus._subscribers.discard(self)

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        try:
            while True:
                yield await self.get()
        finally:
            self.close()


class InProcessBus:
    """Fan-out inside one process. Publishing never blocks and never raises."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def publish(self, change: Change) -> None:
        for sub in tuple(self._subscribers):
            sub._offer(change)

    def deliver_remote(self, change: Change) -> None:
        """A change another node made: to every subscriber but the local-only ones."""
        for sub in tuple(self._subscribers):
            if not sub.local_only:
                sub._offer(change)

    def subscribe(self, maxsize: int = 10_000, local_only: bool = False) -> Subscription:
        sub = Subscription(self, maxsize, local_only)
        self._subscribers.add(sub)
        return sub

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
