"""CPU per frame of the two ways evfault could read and write WebSocket frames, and per request
head of the two HTTP parsers it could use. In-process, `time.process_time`, best of 5.

    .venv/bin/python benchmarks/ws_codec.py

1. A charger's masked text frame (a 200-byte StatusNotification) read and an answer frame
   written, by evfault.net.frames and by websockets' sans-I/O ServerProtocol (what uvicorn's
   "websockets-sansio" ran).
2. A WebSocket upgrade request head parsed by httptools (llhttp, C) and by h11 (pure Python).
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable

import h11
import httptools
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from evfault.net.frames import FrameReader, text_frame

N = 50_000
REQUEST = (b'[2,"123456","StatusNotification",{"connectorId":1,"errorCode":"OtherError",'
           b'"status":"Faulted","vendorId":"com.evgo.mrec","vendorErrorCode":"F001,F003",'
           b'"info":"1.11,5.0","timestamp":"2026-11-28T15:12:12Z"}]')
ANSWER = '[3,"123456",{}]'
FRAME = Frame(Opcode.TEXT, REQUEST).serialize(mask=True)
HEAD = (b"GET /ocpp/CP-000123 HTTP/1.1\r\nHost: csms.example:8180\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
        b"Authorization: Basic Q1AtMDAwMTIzOnNlY3JldA==\r\n\r\n")


def best_us(step: Callable[[], None], n: int = N) -> float:
    """Best of five: µs of CPU per call of `step`."""
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(n):
            step()
        best = min(best, time.process_time() - t0)
    return best * 1e6 / n


def own_codec() -> Callable[[], None]:
    reader = FrameReader(1 << 20)

    def step() -> None:
        [message] = reader.feed(FRAME)
        message.data.decode()
        assert text_frame(ANSWER)
    return step


def websockets_codec() -> Callable[[], None]:
    protocol = ServerProtocol(max_size=1 << 20)
    protocol.receive_data(HEAD)
    [request] = protocol.events_received()
    protocol.send_response(protocol.accept(request))
    protocol.data_to_send()
    assert protocol.state is State.OPEN

    def step() -> None:
        protocol.receive_data(FRAME)
        [event] = protocol.events_received()
        event.data.decode()
        protocol.send_text(ANSWER.encode())
        assert protocol.data_to_send()
    return step


class _Head:
    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))


def httptools_head() -> None:
    sink = _Head()
    parser = httptools.HttpRequestParser(sink)
    with contextlib.suppress(httptools.HttpParserUpgrade):  # an upgrade head ends the parse
        parser.feed_data(HEAD)


def h11_head() -> None:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(HEAD)
    event = conn.next_event()
    assert isinstance(event, h11.Request)


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    own, theirs = best_us(own_codec()), best_us(websockets_codec())
    print(f"frame in + answer out: evfault.net.frames {own:.2f} µs, "
          f"websockets ServerProtocol {theirs:.2f} µs ({theirs / own:.1f}x)")
    fast, slow = best_us(httptools_head, N // 5), best_us(h11_head, N // 5)
    print(f"upgrade request head: httptools {fast:.2f} µs, h11 {slow:.2f} µs "
          f"({slow / fast:.1f}x)")


if __name__ == "__main__":
    main()
