"""Abusive clients at small scale: none of them may cost a well-behaved charger its answers.

Each test keeps a real charger (the `ocpp` package's ChargePoint) heart-beating through the
abuse and asserts it was answered all along; the abuse itself must end the way the limits say.
The full-scale versions are benchmarks (benchmarks/idle_memory.py, benchmarks/server_load.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call as call16

from chargers import boot16, charger16
from evfault.ocpp.admission import RefusalReason
from net_support import (
    RecordingGate,
    exchange,
    running,
    status_and_body,
    upgrade_request,
    wait_until,
)

pytestmark = pytest.mark.slow


class Beating:
    """A good charger's heartbeats, sent back to back for as long as the abuse lasts."""

    def __init__(self, cp: Any) -> None:
        self.cp = cp
        self.answered = 0
        self.stopping = False
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        # The flag, not only cancel(): the `ocpp` package's call() awaits with wait_for, which on
        # Python 3.11 drops a cancel that lands as the answer arrives, and this loop ran on for
        # 13 minutes of back-to-back heartbeats (a whole `make test` hung on it once).
        while not self.stopping:
            async with asyncio.timeout(60):
                beat = await self.cp.call(call16.Heartbeat())
            assert beat.current_time
            self.answered += 1

    async def stop(self) -> int:
        if self.task.done():
            self.task.result()  # a heartbeat that failed fails the test
        self.stopping = True
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        return self.answered


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Read until the server closes (an EOF or a reset both count)."""
    try:
        while await reader.read(65536):
            pass
    except ConnectionError:
        pass
    return True


async def test_slowloris_is_closed_after_the_header_timeout(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running(tmp_path, header_timeout=1.0) as server, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        await boot16(good)
        beating = Beating(good)
        port = server.address.port
        slow = [await asyncio.open_connection("127.0.0.1", port) for _ in range(200)]
        for _reader, writer in slow:
            writer.write(b"GET /ocpp/CP-SLOW HTTP/1.1\r\nHost: x\r\n")

        async def trickle(writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while not writer.is_closing():
                    writer.write(b"X")  # a byte every so often, never the end of the head
                    await asyncio.sleep(0.25)

        tricklers = [asyncio.ensure_future(trickle(w)) for _r, w in slow]
        with caplog.at_level(logging.WARNING, logger="evfault.net"):
            done = await asyncio.wait_for(
                asyncio.gather(*(closed_by_server(r) for r, _w in slow)), 120)
        for task in tricklers:
            task.cancel()
        for _reader, writer in slow:
            writer.close()
        assert all(done) and len(done) == 200
        assert await beating.stop() >= 1
        assert server.listener is not None
        await wait_until(lambda: server.listener.connections == 1)  # type: ignore[union-attr]
        assert "header_timeout" in caplog.text
        assert (await good.call(call16.Heartbeat())).current_time  # still connected


async def open_websocket(port: int, charger_id: str, local: str = "127.0.0.1",
                         rcvbuf: int | None = None) -> tuple[asyncio.StreamReader,
                                                             asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((local, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(upgrade_request(f"/ocpp/{charger_id}"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + body


async def test_clients_that_never_read_are_bounded_then_closed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    limit = 16_384
    # idle_timeout 5 s, not 1: the good charger shares the test's event loop with the 100 deaf
    # clients' floods, and on a busy machine a second of that loop's work made it "idle" too.
    async with running(tmp_path, idle_timeout=5.0, max_send_buffer=limit) as server, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        await boot16(good)
        beating = Beating(good)
        listener = server.listener
        assert listener is not None
        deaf = [await open_websocket(server.address.port, f"CP-DEAF-{i}", rcvbuf=2048)
                for i in range(100)]
        ping = masked(0x9, b"p" * 120)
        flood = ping * 1000  # 126 KB of pings each: every one asks for a pong nobody reads
        with caplog.at_level(logging.WARNING, logger="evfault.net"):
            for _reader, writer in deaf:
                writer.write(flood)  # never drained, never read
            peak = 0

            def all_deaf_closed() -> bool:
                nonlocal peak
                held = sum(ws.transport.get_write_buffer_size() for ws in listener._sockets)
                peak = max(peak, held)
                return listener.websockets == 1

            await wait_until(all_deaf_closed, 120)
        for _reader, writer in deaf:
            writer.transport.abort()
        # What the server held for 100 deaf clients stayed within their send-buffer limits.
        assert peak <= 100 * (limit + 256)
        assert await beating.stop() >= 1
        assert "idle_timeout" in caplog.text or "max_send_buffer" in caplog.text
        assert (await good.call(call16.Heartbeat())).current_time


async def test_per_address_limit_refuses_503_and_spares_other_addresses(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate, max_connections_per_address=3) as server, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        await boot16(good)
        port = server.address.port
        held = [await open_websocket(port, f"CP-{i}") for i in range(2)]  # 3 with the good one
        with caplog.at_level(logging.WARNING, logger="evfault.net"):
            status, body = status_and_body(await exchange(port,
                                                          upgrade_request("/ocpp/CP-MORE")))
        assert status == 503 and body.startswith("limit:") and body.count("\n") == 1
        assert "refused connections (503)" in caplog.text
        assert [(r.charger_id, r.reason) for r in gate.refusals.recent()] == \
            [("CP-MORE", RefusalReason.LIMIT)]
        other = await open_websocket(port, "CP-ELSEWHERE", local="127.0.0.2")
        assert (await good.call(call16.Heartbeat())).current_time
        for _reader, writer in [*held, other]:
            writer.close()


async def test_global_limit_refuses_503_and_the_good_charger_stays(tmp_path: Path) -> None:
    async with running(tmp_path, max_connections=3) as server, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        await boot16(good)
        port = server.address.port
        held = [await open_websocket(port, "CP-A"),
                await open_websocket(port, "CP-B", local="127.0.0.2")]
        status, body = status_and_body(await exchange(port, upgrade_request("/ocpp/CP-C"),
                                                      local="127.0.0.3"))
        assert status == 503 and "maximum of 3 connections" in body
        assert (await good.call(call16.Heartbeat())).current_time
        for _reader, writer in held:
            writer.close()
        assert server.listener is not None
        await wait_until(lambda: server.listener.connections == 1)  # type: ignore[union-attr]
        again = await open_websocket(port, "CP-C", local="127.0.0.3")  # room again
        again[1].close()
