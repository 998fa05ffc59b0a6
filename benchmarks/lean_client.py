"""A lean WebSocket client for the closed-loop load: raw asyncio Protocols, one per charger.

The `websockets` client spent ~55 µs of CPU per request/answer (its frame reader is a Python
generator, and every request went through a coroutine, a send lock and a future). On a 2-core
machine the load generator shares the machine with the server under test, so its cost came
straight out of what the servers could show. Here a charger is a Protocol that sends its next
request from `data_received` as soon as the answer arrives (no task, no future per message),
frames are built with one header template and masked by websockets' C `apply_mask`, and only
the frame types a server sends (text, binary, ping, close) are parsed.

Used by server_load.py for all four servers alike, so the yardsticks and evfault are measured
with the same generator in the same run.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import Callable
from urllib.parse import urlsplit

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the C extension ships with websockets' wheels

    def apply_mask(data: bytes, mask: bytes) -> bytes:
        return bytes(b ^ mask[i % 4] for i, b in enumerate(data))


GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame (RFC 6455 §5.2: clients mask every frame)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return header + mask + apply_mask(payload, mask)


class Handshake(asyncio.Protocol):
    """The HTTP upgrade; once it succeeds the transport is handed to a Charger."""

    def __init__(self, path: str, host: str, subprotocol: str) -> None:
        self.key = base64.b64encode(os.urandom(16))
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key.decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
        ).encode()
        self.buffer = b""
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.on_data: Callable[[bytes], None] | None = None
        self.on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.on_data is not None:
            self.on_data(data)
            return
        self.buffer += data
        head, sep, rest = self.buffer.partition(b"\r\n\r\n")
        if not sep:
            return
        accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest())
        if not head.startswith(b"HTTP/1.1 101") or accept not in head:
            self.done.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
        else:
            self.done.set_result(rest)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(exc or ConnectionError("closed during the handshake"))
        if self.on_lost is not None:
            self.on_lost()


class Charger:
    """One simulated charger in a closed loop: a request, its answer, the next request."""

    def __init__(self, transport: asyncio.Transport, handshake: Handshake,
                 on_answer: Callable[[Charger, bytes], None]) -> None:
        self.transport = transport
        self.buffer = b""
        self.on_answer = on_answer
        self.sent_at = 0.0
        self.closed = False
        handshake.on_data = self.data_received
        handshake.on_lost = self.connection_lost

    def send_text(self, payload: bytes) -> None:
        self.sent_at = time.perf_counter()
        self.transport.write(client_frame(TEXT, payload))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.write(client_frame(CLOSE, struct.pack("!H", 1000)))
            self.transport.close()

    def connection_lost(self) -> None:
        self.closed = True

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        while True:
            frame = _next_frame(buffer)
            if frame is None:
                break
            opcode, payload, used = frame
            buffer = buffer[used:]
            if opcode == PING:
                self.transport.write(client_frame(PONG, payload))
            elif opcode == CLOSE:
                self.close()
            elif opcode != PONG:
                self.on_answer(self, payload)
        self.buffer = buffer


def _next_frame(buffer: bytes) -> tuple[int, bytes, int] | None:
    """(opcode, payload, bytes used) of the first complete server frame, if there is one."""
    if len(buffer) < 2:
        return None
    first, second = buffer[0], buffer[1]
    length, start = second & 0x7F, 2
    if length == 126:
        if len(buffer) < 4:
            return None
        length, start = struct.unpack_from("!H", buffer, 2)[0], 4
    elif length == 127:
        if len(buffer) < 10:
            return None
        length, start = struct.unpack_from("!Q", buffer, 2)[0], 10
    if second & 0x80:  # a server never masks; read past a mask all the same
        start += 4
    end = start + length
    if len(buffer) < end:
        return None
    payload = buffer[start:end]
    if second & 0x80:
        payload = apply_mask(payload, buffer[start - 4:start])
    return first & 0x0F, payload, end


async def connect(url: str, subprotocol: str,
                  on_answer: Callable[[Charger, bytes], None]) -> Charger:
    """Open `url` (ws://host:port/path) and return the Charger speaking on it."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    loop = asyncio.get_running_loop()
    transport, handshake = await loop.create_connection(
        lambda: Handshake(parts.path, f"{host}:{port}", subprotocol), host, port)
    rest = await handshake.done
    charger = Charger(transport, handshake, on_answer)
    if rest:
        charger.data_received(rest)
    return charger
