"""evfault's own server: one asyncio listener for HTTP, the ASGI app and OCPP WebSockets.

It holds every connection's bookkeeping in one place: the connection counts against their
limits, the deadlines of request heads, and the idle WebSockets, all checked by one periodic
sweep instead of a timer per connection (which is what keeps an idle charger small).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from contextlib import suppress

from starlette.types import ASGIApp

from evfault.net.http import HttpConnection
from evfault.net.limits import ConnectionCounter, Limits, RateLimitedLog
from evfault.net.upgrade import Upgrade
from evfault.net.websocket import MessageHandler, WebSocket
from evfault.ocpp.admission import Gate, Registration
from evfault.settings import Settings

log = logging.getLogger("evfault.net")

SessionOpener = Callable[[WebSocket, Upgrade, Registration], Awaitable[MessageHandler]]
BACKLOG = 4096  # a reconnect storm arrives at once; the kernel caps it at somaxconn
STOP_GRACE_S = 0.5  # how long requests and close handshakes may take when the server stops


class Listener:
    """Accepts connections on one port and serves each as HTTP or as an OCPP WebSocket."""

    def __init__(self, app: ASGIApp, settings: Settings, gate: Gate, open_session: SessionOpener,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.settings = settings
        self.limits = Limits.from_settings(settings)
        self.gate = gate
        self.open_session = open_session
        self.ssl_context = ssl_context
        self.counter = ConnectionCounter(self.limits)
        self.loop = asyncio.get_running_loop()
        self.sockname: tuple[str, int] | None = None
        self._heads: dict[HttpConnection, float] = {}  # deadline of each awaited request head
        self._http: set[HttpConnection] = set()
        self._sockets: set[WebSocket] = set()
        self._log = RateLimitedLog()
        self._server: asyncio.AbstractServer | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._none_left: asyncio.Event | None = None  # set when the last WebSocket closed

    async def start(self, host: str, port: int, reuse_port: bool = False) -> int:
        """Listen; return the port (the one the system picked when `port` is 0)."""
        self._server = await self.loop.create_server(
            lambda: HttpConnection(self), host, port, ssl=self.ssl_context, backlog=BACKLOG,
            reuse_port=reuse_port or None,
            ssl_handshake_timeout=self.limits.tls_handshake_timeout if self.ssl_context else None,
        )
        address = self._server.sockets[0].getsockname()
        self.sockname = (str(address[0]), int(address[1]))
        self._sweeper = self.loop.create_task(self._sweep_forever(), name="evfault-net-sweep")
        return self.sockname[1]

    @property
    def connections(self) -> int:
        return self.counter.total

    @property
    def websockets(self) -> int:
        return len(self._sockets)

    # ---- connection bookkeeping (called by the connections) ----------------------------------

    def http_made(self, conn: HttpConnection) -> None:
        conn.refusal = self.counter.problem(conn.address)
        if conn.refusal is None:
            self.counter.add(conn.address)
            conn.counted = True
        self._http.add(conn)
        self.expect_head(conn)

    def expect_head(self, conn: HttpConnection) -> None:
        self._heads[conn] = self.loop.time() + self.limits.header_timeout

    def linger(self, conn: HttpConnection, seconds: float) -> None:
        self._heads[conn] = self.loop.time() + seconds

    def head_complete(self, conn: HttpConnection) -> None:
        self._heads.pop(conn, None)

    def http_lost(self, conn: HttpConnection) -> None:
        self._heads.pop(conn, None)
        self._http.discard(conn)
        if conn.counted:
            conn.counted = False
            self.counter.remove(conn.address)

    def upgraded(self, conn: HttpConnection, upgrade: Upgrade, registration: Registration,
                 rest: bytes) -> None:
        """Answer 101 and hand the socket from the HTTP reader to a WebSocket."""
        transport = conn.transport
        self._heads.pop(conn, None)
        self._http.discard(conn)
        conn.done = True
        conn.counted = False  # the WebSocket gives the slot back when it closes
        lines = [b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
                 b"connection: Upgrade\r\nsec-websocket-accept: ", upgrade.accept.encode()]
        if upgrade.subprotocol is not None:
            lines += [b"\r\nsec-websocket-protocol: ", upgrade.subprotocol.encode("latin-1")]
        transport.write(b"".join([*lines, b"\r\n\r\n"]))
        self._cap_kernel_buffer(transport)
        ws = WebSocket(transport, self, conn.address, upgrade.charger_id)
        transport.set_protocol(ws)
        self._sockets.add(ws)
        opener = self.open_session
        ws.begin(lambda w: opener(w, upgrade, registration))
        if rest:
            ws.data_received(rest)
        transport.resume_reading()

    def _cap_kernel_buffer(self, transport: asyncio.Transport) -> None:
        # Linux grows a socket's send buffer up to tcp_wmem's maximum (4 MB by default) for a
        # peer that does not read: kernel memory no limit of ours would see. OCPP answers are
        # small, so a charger's socket is capped at the same size as its unsent bytes here.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.limits.max_send_buffer)

    def websocket_lost(self, ws: WebSocket) -> None:
        if ws in self._sockets:
            self._sockets.discard(ws)
            self.counter.remove(ws.address)
            if not self._sockets and self._none_left is not None:
                self._none_left.set()

    def bitten(self, key: str, message: str, *args: object) -> None:
        """Log that a limit bit, at most once a minute per limit."""
        self._log.warning(key, message, *args)

    # ---- the sweep ---------------------------------------------------------------------------

    def _sweep_period(self) -> float:
        shortest = min(self.limits.header_timeout, self.limits.idle_timeout,
                       self.limits.pong_timeout)
        return max(0.05, min(1.0, shortest / 4))

    async def _sweep_forever(self) -> None:
        period = self._sweep_period()
        while True:
            await asyncio.sleep(period)
            try:
                self.sweep(self.loop.time())
            except Exception:  # never let one odd connection stop the timeouts of all others
                log.exception("the connection sweep failed")

    def sweep(self, now: float) -> None:
        late = [conn for conn, deadline in self._heads.items() if deadline <= now]
        for conn in late:
            self._heads.pop(conn, None)
            conn.timed_out()
        for ws in list(self._sockets):
            ws.sweep(now)

    # ---- stopping ----------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop accepting, end requests and WebSockets within a short grace, then cut the rest."""
        if self._server is not None:
            self._server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with suppress(asyncio.CancelledError):
                await self._sweeper
        sockets = list(self._sockets)
        for ws in sockets:
            await ws.shutdown()
        tasks = [c.task for conn in self._http for c in conn.cycles() if c.task is not None]
        for conn in list(self._http):
            conn.shutdown()
        await self._settle(tasks, sockets)
        for conn in list(self._http):
            conn.transport.abort()
        for ws in sockets:
            ws.transport.abort()
        await asyncio.sleep(0)  # let connection_lost run, which starts the sessions' ends
        ends = [t for t in (ws.task for ws in sockets) if t is not None]
        if ends:
            await asyncio.wait(ends, timeout=5.0)
        if self._server is not None:
            with suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._server.wait_closed()

    async def _settle(self, tasks: list[asyncio.Task[None]], sockets: list[WebSocket]) -> None:
        deadline = self.loop.time() + STOP_GRACE_S
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in tasks:
                task.cancel()
        if self._sockets:
            self._none_left = asyncio.Event()
            with suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._none_left.wait()


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")
