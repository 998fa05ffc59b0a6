"""GET /api/v1/events: every change from the bus as Server-Sent Events, as it happens.

Each event carries the same shape the API serves (an incident, a status change, a
connectivity change). A subscriber that fell behind gets `resync`: reload, don't patch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from evfault.bus import Delivery, Resync, Subscription
from evfault.catalog.catalog import Catalog
from evfault.context import Services
from evfault.tracking.model import ConnectivityChange, IncidentChange, StatusChange
from evfault.web import shapes

# A comment line this often keeps proxies from closing an idle stream and lets the server
# notice a browser that went away without saying so.
KEEPALIVE_S = 15.0
# EventSource reconnects after this many milliseconds when the stream drops.
RETRY_MS = 2000
# Changes already queued are sent together, up to this many per write.
BATCH = 200


class StreamRegistry:
    """The open streams of one app, so shutdown can end them instead of waiting for them."""

    def __init__(self) -> None:
        self._stops: set[asyncio.Event] = set()

    def open(self) -> asyncio.Event:
        stop = asyncio.Event()
        self._stops.add(stop)
        return stop

    def release(self, stop: asyncio.Event) -> None:
        self._stops.discard(stop)

    def close_all(self) -> None:
        for stop in tuple(self._stops):
            stop.set()

    def __len__(self) -> int:
        return len(self._stops)


def frame(event: str, data: object) -> str:
    """One SSE event; JSON never holds a raw newline, so one data line suffices."""
    return f"event: {event}\ndata: {orjson.dumps(data).decode()}\n\n"


def encode(item: Delivery, now: datetime, catalog: Catalog) -> str:
    if isinstance(item, IncidentChange):
        return frame("incident", shapes.incident_change(item, now, catalog))
    if isinstance(item, StatusChange):
        return frame("status", shapes.status_change(item))
    if isinstance(item, ConnectivityChange):
        return frame("connectivity", shapes.connectivity(item))
    assert isinstance(item, Resync)
    return frame("resync", {})


def drain(sub: Subscription, first: Delivery) -> list[Delivery]:
    """The change that woke us plus whatever queued behind it, so a storm costs few writes."""
    items = [first]
    while len(items) < BATCH and not isinstance(items[-1], Resync):
        nxt = sub.get_nowait()
        if nxt is None:
            break
        items.append(nxt)
    return items


async def next_change(sub: Subscription, stop: asyncio.Event) -> Delivery | None:
    """The next change; None on a quiet interval or when the stream must end."""
    getter = asyncio.ensure_future(sub.get())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait(
            {getter, stopper}, timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        stopper.cancel()
        if not getter.done():
            # A queue get cancelled before it returned leaves its item queued: nothing is lost.
            getter.cancel()
    if getter.done() and not getter.cancelled():
        return getter.result()
    return None


def hello(services: Services) -> str:
    return f"retry: {RETRY_MS}\n" + frame("hello", {"server_time": shapes.iso(services.clock())})


Body = Callable[[Subscription, asyncio.Event], AsyncIterator[str]]


class EventStreamResponse(StreamingResponse):
    """A stream that always gives back its bus subscription, however the request ends."""

    def __init__(self, services: Services, registry: StreamRegistry, body: Body) -> None:
        """`body` writes the stream from a subscription of its own."""
        self._sub = services.bus.subscribe()
        self._registry = registry
        self._stop = registry.open()
        super().__init__(
            body(self._sub, self._stop),
            media_type="text/event-stream",
            headers=STREAM_HEADERS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._sub.close()
            self._registry.release(self._stop)


STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
