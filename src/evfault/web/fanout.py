"""The operator event stream's fan-out: each change encoded once, whoever is listening.

Before, every open stream held its own bus subscription and encoded every change itself: 1,000
dashboards cost 1,000 encodings and 1,000 task wake-ups per change, and charger handling fell
from 553 to 12 messages a second. Now one pump reads the bus, waits a moment so that a storm of
changes becomes one chunk, encodes the chunk once, and hands the same text to every listener.
The wait grows with the number of listeners (`FLUSH_PER_LISTENER`), so the work the streams
cost per second stays bounded however many are open: chargers keep the event loop.

A listener that does not read falls behind: once its unsent text passes `max_backlog` bytes it
is dropped into a resync (its backlog replaced by one `resync` event: reload, don't patch), as
the bus does for its own subscribers. Streams are limited overall and per user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from evfault.bus import Resync, Subscription
from evfault.context import Services
from evfault.web.auth import principal_of
from evfault.web.events import KEEPALIVE_S, STREAM_HEADERS, encode, frame, hello
from evfault.web.http import OrjsonResponse

log = logging.getLogger("evfault.web")

# The pump waits at least this long after a change before it sends, so bursts share a chunk…
FLUSH_MIN_S = 0.05
# …and this much longer per open stream, so the streams' cost per second does not grow with
# their number (1,000 streams: a chunk every 0.4 s).
FLUSH_PER_LISTENER_S = 0.0004
# How many changes one chunk may carry before it is sent (bounds one pass of the pump).
MAX_CHUNK = 2000
# Streams woken per turn of the event loop; chargers are read between turns.
SLICE = 25


class Listener:
    """One open stream: the text waiting to be sent to it."""

    __slots__ = ("behind", "chunks", "closed", "max_backlog", "pending", "user", "wake")

    def __init__(self, user: str, max_backlog: int) -> None:
        self.user = user
        self.max_backlog = max_backlog
        self.chunks: list[str] = []
        self.pending = 0
        self.wake = asyncio.Event()
        self.closed = False
        self.behind = 0  # times it was dropped into a resync

    def offer(self, chunk: str, resync: str) -> bool:
        """Queue `chunk`; False when this listener fell behind and was told to resync."""
        if self.pending + len(chunk) > self.max_backlog:
            self.chunks = [resync]
            self.pending = len(resync)
            self.behind += 1
            self.wake.set()
            return False
        self.chunks.append(chunk)
        self.pending += len(chunk)
        self.wake.set()
        return True

    def take(self) -> str:
        text = "".join(self.chunks)
        self.chunks.clear()
        self.pending = 0
        self.wake.clear()
        return text

    def set(self) -> None:
        """End the stream (server shutting down)."""
        self.closed = True
        self.wake.set()


class Fanout:
    """One bus subscription for every operator stream of the app."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.listeners: set[Listener] = set()
        self.per_user: Counter[str] = Counter()
        self._sub: Subscription | None = None
        self._pump: asyncio.Task[None] | None = None
        # For operators and tests: changes encoded (once each), and listeners sent a resync.
        self.encoded = 0
        self.resyncs = 0
        self.refused = 0

    def open(self, user: str) -> Listener | str:
        """A new listener, or the sentence saying why none may open now."""
        s = self.services.settings
        if len(self.listeners) >= s.max_event_streams:
            self.refused += 1
            return (f"Too many live event streams are open ({s.max_event_streams}); "
                    "try again later or reload the page instead.")
        if self.per_user[user] >= s.max_event_streams_per_user:
            self.refused += 1
            return (f"This account already has {s.max_event_streams_per_user} live event "
                    "streams open; close a dashboard tab and try again.")
        listener = Listener(user, s.max_event_backlog)
        self.listeners.add(listener)
        self.per_user[user] += 1
        if self._pump is None:
            self._sub = self.services.bus.subscribe()
            self._pump = asyncio.create_task(self._run(self._sub), name="evfault-event-fanout")
        return listener

    def close(self, listener: Listener) -> None:
        if listener not in self.listeners:
            return
        self.listeners.discard(listener)
        self.per_user[listener.user] -= 1
        if self.per_user[listener.user] <= 0:
            del self.per_user[listener.user]
        if not self.listeners:
            self._stop()

    def close_all(self) -> None:
        for listener in tuple(self.listeners):
            listener.set()

    def _stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._sub is not None:
            self._sub.close()
            self._sub = None

    @property
    def subscribed(self) -> bool:
        return self._sub is not None

    def interval(self) -> float:
        return FLUSH_MIN_S + FLUSH_PER_LISTENER_S * len(self.listeners)

    async def _run(self, sub: Subscription) -> None:
        resync = frame("resync", {})
        while True:
            first = await sub.get()
            await asyncio.sleep(self.interval())
            items = [first]
            while len(items) < MAX_CHUNK and (nxt := sub.get_nowait()) is not None:
                items.append(nxt)
            now = self.services.clock()
            try:
                chunk = "".join(encode(item, now, self.services.catalog) for item in items)
            except Exception:  # one change that cannot be shown must not end every stream
                log.exception("encoding live changes failed; streams are told to resync")
                chunk = resync
            self.encoded += sum(1 for item in items if not isinstance(item, Resync))
            listeners = tuple(self.listeners)
            for start in range(0, len(listeners), SLICE):
                for listener in listeners[start:start + SLICE]:
                    if not listener.offer(chunk, resync):
                        self.resyncs += 1
                # Let the loop read chargers between slices: waking 1,000 streams at once
                # would hold every charger's answer behind all their sends.
                await asyncio.sleep(0)


async def listen(listener: Listener, hello: str, keepalive_s: float) -> AsyncIterator[str]:
    """The text of one stream: hello, then whatever the fan-out queued, keep-alives between."""
    yield hello
    while not listener.closed:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(keepalive_s):
                await listener.wake.wait()
        if listener.closed:
            return
        yield listener.take() if listener.chunks else ": keep-alive\n\n"


class FanoutStreamResponse(StreamingResponse):
    """An operator's stream: a listener of the app's one fan-out, given back however it ends."""

    def __init__(self, services: Services, fanout: Fanout, listener: Listener) -> None:
        self._fanout, self._listener = fanout, listener
        super().__init__(listen(listener, hello(services), KEEPALIVE_S),
                         media_type="text/event-stream", headers=STREAM_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._fanout.close(self._listener)


async def events(request: Request) -> Response:
    fanout: Fanout = request.app.state.fanout
    principal = principal_of(request)
    listener = fanout.open(principal.user.name if principal else "")
    if isinstance(listener, str):
        log.warning("event stream refused: %s", listener)
        response = OrjsonResponse({"error": listener}, status_code=503)
        response.headers["retry-after"] = str(int(KEEPALIVE_S))
        return response
    return FanoutStreamResponse(request.app.state.services, fanout, listener)
