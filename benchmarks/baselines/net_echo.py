"""Yardstick: a WebSocket echo on evfault's own transport (evfault.net), no OCPP, no storage.

Beside echo_server.py (the same echo on the `websockets` library) it shows what the transport
itself costs per message. Prints `PORT <n>` once listening.
"""

from __future__ import annotations

import asyncio
import sys

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from evfault.net.gate import OpenGate
from evfault.net.listener import Listener
from evfault.net.upgrade import Upgrade
from evfault.net.websocket import WebSocket
from evfault.ocpp.admission import Registration
from evfault.server import run
from evfault.settings import Settings


class Echo:
    __slots__ = ("receive",)

    def __init__(self, ws: WebSocket) -> None:
        self.receive = ws.send

    async def ended(self) -> None:
        return None


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("echo")(scope, receive, send)


async def open_echo(ws: WebSocket, upgrade: Upgrade, registration: Registration) -> Echo:
    return Echo(ws)


async def main(port: int) -> None:
    listener = Listener(app, Settings(port=port), OpenGate(), open_echo)
    print("PORT", await listener.start("127.0.0.1", port), flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
