"""Helpers for the transport tests: a server with a gate of the test's own, raw sockets, waits."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from evfault.net.gate import OpenGate
from evfault.ocpp.admission import Admission, Handshake
from evfault.server import Server
from evfault.settings import Settings

FAST = {"port": 0, "offline_grace": 5.0, "reboot_window": 0.4, "heartbeat_interval": 60,
        "log_level": "warning", "unknown_chargers": "accept"}


class RecordingGate(OpenGate):
    """Admits by a rule of the test's choosing and keeps every handshake it was shown."""

    def __init__(self, rule: Callable[[Handshake], Admission] | None = None) -> None:
        super().__init__()
        self.handshakes: list[Handshake] = []
        self.rule = rule

    async def admit(self, handshake: Handshake) -> Admission:
        self.handshakes.append(handshake)
        return self.rule(handshake) if self.rule else Admission.allow()


@asynccontextmanager
async def running(tmp_path: Path, gate: OpenGate | None = None,
                  **overrides: Any) -> AsyncIterator[Server]:
    settings = Settings(**{"db": f"sqlite:///{tmp_path / 'net.db'}", **FAST, **overrides})
    server = Server(settings, gate=gate)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def wait_until(condition: Callable[[], bool], bound: float = 60.0) -> None:
    """Wait for a condition the server reaches by itself; the bound only guards a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.02)


async def exchange(port: int, request: bytes, host: str = "127.0.0.1",
                   local: str | None = None, read_until: bytes | None = None) -> bytes:
    """Send raw bytes, read what the server answers until it closes (or sends `read_until`)."""
    reader, writer = await asyncio.open_connection(
        host, port, local_addr=(local, 0) if local else None)
    writer.write(request)
    await writer.drain()
    try:
        if read_until is not None:
            return await asyncio.wait_for(reader.readuntil(read_until), 60)
        return await asyncio.wait_for(reader.read(), 60)
    finally:
        writer.close()


def upgrade_request(path: str, protocol: str | None = "ocpp1.6", host: str = "127.0.0.1",
                    **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Version: 13",
             "Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode()]
    if protocol is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_and_body(response: bytes) -> tuple[int, str]:
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode()
