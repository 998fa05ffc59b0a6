"""One upgraded WebSocket connection: frames in, messages handled strictly in order, frames out.

Memory is the point of its shape. An idle charger costs this object, its frame reader, the
transport and whatever its handler holds: no task is parked on a read. A task exists only while
messages are queued, and it ends when the queue is empty; the listener's sweep, not a timer per
connection, finds the silent ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from evfault.net.frames import (
    BINARY,
    CLOSE,
    GOING_AWAY,
    INVALID_DATA,
    NO_STATUS,
    PING,
    POLICY_VIOLATION,
    PONG,
    TEXT,
    FrameReader,
    ProtocolError,
    close_payload,
    parse_close,
    server_frame,
)

if TYPE_CHECKING:
    from evfault.net.listener import Listener

log = logging.getLogger("evfault.net")

OPEN, CLOSING, CLOSED = 0, 1, 2
# Messages read ahead of the one being handled; beyond this the socket is not read until the
# handler catches up, so a charger that floods cannot queue without bound.
MAX_QUEUED = 32
CLOSE_WAIT_S = 5.0  # how long a close frame waits for the peer's before the socket is cut
PAUSED_BY_QUEUE, PAUSED_BY_WRITES = 1, 2


class MessageHandler(Protocol):
    """What the application does with a connection's messages (e.g. an OCPP session)."""

    @property
    def receive(self) -> Callable[[str], Awaitable[None]]:
        """Handle one message completely before the next is given."""

    async def ended(self) -> None:
        """Called once, after the last message was handled and the connection is gone."""


Opener = Callable[["WebSocket"], Awaitable[MessageHandler | None]]


class WebSocket(asyncio.Protocol):
    """The server side of one WebSocket connection after a successful upgrade."""

    __slots__ = ("_ended", "_paused", "_queue", "_reader", "_task", "address", "closing_at",
                 "handler", "last_seen", "listener", "name", "pinged", "state", "transport")

    def __init__(self, transport: asyncio.Transport, listener: Listener, address: str,
                 name: str) -> None:
        self.transport = transport
        self.listener = listener
        self.address = address
        self.name = name  # the charger id, for log lines
        self.state = OPEN
        self.handler: MessageHandler | None = None
        self.last_seen = listener.loop.time()
        self.pinged = False
        self.closing_at = 0.0
        self._reader = FrameReader(listener.limits.max_message_size)
        self._queue: deque[str] | None = None
        self._task: asyncio.Task[None] | None = None
        self._paused = 0
        self._ended = False

    def begin(self, opener: Opener) -> None:
        """Open the application side; messages that arrive meanwhile wait in the queue."""
        self._task = self.listener.loop.create_task(self._open(opener))

    async def _open(self, opener: Opener) -> None:
        try:
            self.handler = await opener(self)
        except Exception:
            log.exception("%s: could not start the session", self.name)
            await self.close(1011, "the server could not start this session")
        await self._drain()

    # ---- incoming -------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.last_seen = self.listener.loop.time()
        self.pinged = False
        if self.state == CLOSED:
            return
        try:
            messages = self._reader.feed(data)
        except ProtocolError as error:
            self._fail(error.code, error.reason)
            return
        for message in messages:
            if self.state == CLOSED:
                return
            opcode = message.opcode
            if opcode == TEXT:
                try:
                    self._enqueue(message.data.decode())
                except UnicodeDecodeError:
                    self._fail(INVALID_DATA, "a text message that is not UTF-8")
                    return
            elif opcode == BINARY:
                # OCPP-J is text; a charger that sends it as binary still means the text.
                self._enqueue(message.data.decode("utf-8", "replace"))
            elif opcode == PING:
                self._write(server_frame(PONG, message.data))
            elif opcode == CLOSE:
                self._on_close(message.data)
                return
            elif opcode == PONG:
                pass

    def _enqueue(self, text: str) -> None:
        if self.state != OPEN:
            return  # after our close frame nothing more is handled
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        queue.append(text)
        if len(queue) >= MAX_QUEUED:
            self._pause(PAUSED_BY_QUEUE)
        if self._task is None:
            self._task = self.listener.loop.create_task(self._drain())

    async def _drain(self) -> None:
        """Handle queued messages one after another; end when none is left."""
        queue, handler = self._queue, self.handler
        while queue and handler is not None:
            text = queue.popleft()
            if len(queue) < MAX_QUEUED // 2:
                self._resume(PAUSED_BY_QUEUE)
            try:
                await handler.receive(text)
            except Exception:  # the handler answers errors itself; this is the last guard
                log.exception("%s: handling a message failed", self.name)
        self._queue = None
        self._task = None
        if self.state == CLOSED:
            await self._end()

    def _on_close(self, payload: bytes) -> None:
        try:
            code, _reason = parse_close(payload)
        except ProtocolError as error:
            self._fail(error.code, error.reason)
            return
        if self.state == OPEN:  # the peer starts the close handshake: answer it (§5.5.1)
            self._write(server_frame(CLOSE, b"" if code == NO_STATUS else close_payload(code, "")))
        self._closing()
        self.transport.close()  # the server closes TCP first (§7.1.1)

    def _fail(self, code: int, reason: str) -> None:
        log.warning("%s: closing the connection (%d): %s", self.name, code, reason)
        if self.state == OPEN:
            self._write(server_frame(CLOSE, close_payload(code, reason)))
        self._closing()
        self.transport.close()

    # ---- outgoing -------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        """Send one text message; to a closed connection it is a quiet no-op."""
        if self.state != OPEN:
            log.debug("%s: not sent, the connection is closed: %.80s", self.name, text)
            return
        self._write(server_frame(TEXT, text.encode()))

    def _write(self, frame: bytes) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(frame)
        if transport.get_write_buffer_size() > self.listener.limits.max_send_buffer:
            self.listener.bitten("send-buffer", "closed connections whose clients leave over "
                                 "%d bytes unread (max_send_buffer); latest: %s from %s",
                                 self.listener.limits.max_send_buffer, self.name, self.address)
            self.state = CLOSED
            transport.abort()

    async def close(self, code: int, reason: str) -> None:
        """Start the close handshake; the socket closes when the peer answers (or soon after)."""
        if self.state != OPEN:
            return
        self._write(server_frame(CLOSE, close_payload(code, reason)))
        self._closing()

    def _closing(self) -> None:
        """Closing from now on; the sweep cuts the socket if the peer never finishes."""
        if self.state == OPEN:
            self.state = CLOSING
            self.closing_at = self.listener.loop.time()

    def pause_writing(self) -> None:
        # A client that does not read its answers is not read either: its requests wait in
        # its own socket instead of answers piling up in this process.
        self._pause(PAUSED_BY_WRITES)

    def resume_writing(self) -> None:
        self._resume(PAUSED_BY_WRITES)

    def _pause(self, why: int) -> None:
        if not self._paused and self.state != CLOSED:
            self.transport.pause_reading()
        self._paused |= why

    def _resume(self, why: int) -> None:
        was = self._paused
        self._paused &= ~why
        if was and not self._paused and self.state != CLOSED:
            self.transport.resume_reading()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task handling this connection's messages (or its end), if one is running."""
        return self._task

    # ---- the end --------------------------------------------------------------------------

    def sweep(self, now: float) -> None:
        """Ping the silent, cut the silent after a ping, and the close handshakes left hanging."""
        limits = self.listener.limits
        if self.state == CLOSING:
            if now - self.closing_at > CLOSE_WAIT_S:
                self.transport.abort()
            return
        silent = now - self.last_seen
        if silent < limits.idle_timeout:
            return
        if not self.pinged:
            self.pinged = True
            self._write(server_frame(PING, b"evfault"))
        elif silent >= limits.idle_timeout + limits.pong_timeout:
            self.listener.bitten("idle", "closed connections silent for %.0f s and deaf to a "
                                 "ping (idle_timeout); latest: %s from %s",
                                 silent, self.name, self.address)
            self.state = CLOSED
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = CLOSED
        self.listener.websocket_lost(self)
        if self._task is None:
            self._task = self.listener.loop.create_task(self._end())

    async def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        if self.handler is not None:
            try:
                await self.handler.ended()
            except Exception:
                log.exception("%s: ending the session failed", self.name)

    async def shutdown(self) -> None:
        """Close for a server stop (GOING_AWAY) unless the application closed it already."""
        await self.close(GOING_AWAY, "server shutting down")


__all__ = ["POLICY_VIOLATION", "MessageHandler", "Opener", "WebSocket"]
