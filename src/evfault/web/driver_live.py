"""The live face of /c/{charger_id}: a public event stream of that charger's view.

Anyone may open it, so it is bounded twice (settings `public_streams` overall and
`public_streams_per_charger`); past either, the answer is 503 and the page polls the view's
JSON twin instead. Each change of the charger (an error opened or cleared, a status, coming or
going offline) sends the whole public view again: the page never patches, so it cannot drift.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.types import Receive, Scope, Send

from evfault.bus import Delivery, Resync, Subscription
from evfault.context import Services
from evfault.tracking.model import IncidentChange
from evfault.web.events import (
    KEEPALIVE_S,
    RETRY_MS,
    EventStreamResponse,
    StreamRegistry,
    drain,
    frame,
    next_change,
)
from evfault.web.http import OrjsonResponse
from evfault.web.shapes import Json

ViewMaker = Callable[[], Any]  # an awaitable of the view, or None when the charger is gone


class PublicStreams:
    """How many public streams are open, overall and per charger."""

    def __init__(self) -> None:
        self.per_charger: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.per_charger.values())

    def try_open(self, charger_id: str, most: int, most_per_charger: int) -> bool:
        if self.total >= most or self.per_charger[charger_id] >= most_per_charger:
            return False
        self.per_charger[charger_id] += 1
        return True

    def release(self, charger_id: str) -> None:
        self.per_charger[charger_id] -= 1
        if self.per_charger[charger_id] <= 0:
            del self.per_charger[charger_id]


def concerns(item: Delivery, charger_id: str) -> bool:
    """Whether a change touches this charger; a resync might, so it counts."""
    if isinstance(item, Resync):
        return True
    if isinstance(item, IncidentChange):
        return item.incident.charger_id == charger_id
    return item.charger_id == charger_id


def touched(items: Iterable[Delivery], charger_id: str) -> bool:
    return any(concerns(i, charger_id) for i in items)


async def view_stream(make_view: ViewMaker, first: Json, sub: Subscription,
                      stop: asyncio.Event, charger_id: str) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n" + frame("view", first)
    while not stop.is_set():
        item = await next_change(sub, stop)
        if item is None:
            if not stop.is_set():
                yield ": keep-alive\n\n"
            continue
        if not touched(drain(sub, item), charger_id):
            continue
        view = await make_view()
        if view is None:
            yield frame("gone", {})
            return
        yield frame("view", view)


class PublicStreamResponse(EventStreamResponse):
    """The stream, also giving back its place under the limits however it ends."""

    def __init__(self, services: Services, registry: StreamRegistry, streams: PublicStreams,
                 charger_id: str, make_view: ViewMaker, first: Json) -> None:
        self._streams, self._charger_id = streams, charger_id
        super().__init__(services, registry, lambda sub, stop: view_stream(
            make_view, first, sub, stop, charger_id))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._streams.release(self._charger_id)


def busy_response() -> OrjsonResponse:
    """Too many live pages: the page falls back to polling the JSON twin."""
    response = OrjsonResponse(
        {"error": "Too many live pages are open; this page will refresh every few seconds."},
        status_code=503,
    )
    response.headers["retry-after"] = str(int(KEEPALIVE_S))
    return response
