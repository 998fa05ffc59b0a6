"""Live stream starvation: many, slow or deaf event-stream subscribers never starve chargers.

Figures that must hold: every change is encoded once however many streams are open (1,000
here); a stream that does not read is dropped into a resync with its backlog bounded by
`max_event_backlog`; the stream limits answer 503 with a sentence;
and a well-behaved charger is answered all along.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call as call16

from accounts import api_token
from chargers import boot16, charger16, send_status16
from net_support import running, wait_until

pytestmark = pytest.mark.slow


async def open_stream(port: int, token: str, rcvbuf: int | None = None
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = None
    if rcvbuf is not None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.connect(("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
    else:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 + token.encode() + b"\r\n\r\n")
    return reader, writer


class Counting:
    """Reads one stream to the end, counting its incident events."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.incidents = 0
        self.task = asyncio.ensure_future(self._run(reader))

    async def _run(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while line := await reader.readline():
                if line.startswith(b"event: incident"):
                    self.incidents += 1


async def test_many_subscribers_cost_one_encoding_per_change(tmp_path: Path) -> None:
    streams = 1000
    async with running(tmp_path, max_event_streams_per_user=streams,
                       max_connections_per_address=streams + 100) as server, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        assert server.app is not None
        fanout = server.app.state.fanout
        published = 0
        real_publish = server.services.bus.publish

        def counted(change: Any) -> None:
            nonlocal published
            published += 1
            real_publish(change)

        token = await api_token(server, "viewer")
        opened = [await open_stream(server.address.port, token) for _ in range(streams)]
        for reader, _writer in opened:
            await asyncio.wait_for(reader.readuntil(b"event: hello"), 60)
        server.services.bus.publish = counted  # type: ignore[method-assign]
        readers = [Counting(reader) for reader, _ in opened]
        await boot16(good)
        codes = [f"F00{i}" for i in range(1, 6)]
        for n in range(1, len(codes) + 1):  # each report opens one more code (REPLACE set)
            await send_status16(good, errorCode="OtherError", status="Faulted",
                                vendorId="com.evgo.mrec", vendorErrorCode=",".join(codes[:n]))
        await wait_until(lambda: all(r.incidents >= 15 for r in readers), 120)
        beat = await good.call(call16.Heartbeat())
        assert beat.current_time
        # 5 opened + 10 continued incident changes and the status change: each change is
        # encoded once, never once per stream (that would be 1,000 times as many).
        await wait_until(lambda: fanout.encoded >= published, 120)
        assert fanout.encoded == published < 20
        for _, writer in opened:
            writer.close()
        await wait_until(lambda: not fanout.listeners)
        assert fanout.subscribed is False  # the last stream gone, the bus is let go


async def test_streams_that_never_read_are_dropped_into_a_resync(tmp_path: Path) -> None:
    backlog = 1024
    async with running(tmp_path, max_event_backlog=backlog, max_send_buffer=16_384) as server, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        assert server.app is not None
        fanout = server.app.state.fanout
        token = await api_token(server, "viewer")
        deaf = [await open_stream(server.address.port, token, rcvbuf=2048) for _ in range(10)]
        await wait_until(lambda: len(fanout.listeners) == 10)
        await boot16(good)
        n = 0
        while fanout.resyncs < 10:
            n += 1
            await send_status16(good, errorCode="OtherError", status="Faulted",
                                vendorErrorCode=f"E{n}", info="x" * 40)
            assert all(listener.pending <= backlog for listener in fanout.listeners)
        assert (await good.call(call16.Heartbeat())).current_time
        for _, writer in deaf:
            writer.transport.abort()


async def test_stream_limits_answer_503_with_a_sentence(tmp_path: Path) -> None:
    async with running(tmp_path, max_event_streams=3, max_event_streams_per_user=2) as server:
        first = await api_token(server, "viewer")
        second = await api_token(server, "viewer")
        held = [await open_stream(server.address.port, first) for _ in range(2)]
        for reader, _ in held:
            await asyncio.wait_for(reader.readuntil(b"event: hello"), 60)
        reader, writer = await open_stream(server.address.port, first)
        answer = await asyncio.wait_for(reader.read(), 60)
        assert answer.startswith(b"HTTP/1.1 503") and b"close a dashboard tab" in answer
        writer.close()
        other, other_writer = await open_stream(server.address.port, second)
        await asyncio.wait_for(other.readuntil(b"event: hello"), 60)  # another user still may
        reader, writer = await open_stream(server.address.port, second)
        answer = await asyncio.wait_for(reader.read(), 60)
        assert answer.startswith(b"HTTP/1.1 503") and b"Too many live event streams" in answer
        writer.close()
        for _, w in [*held, (other, other_writer)]:
            w.close()
