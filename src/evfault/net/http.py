"""One accepted connection until it is upgraded: HTTP/1.1 requests read with httptools.

Plain requests go to the ASGI app (keep-alive, pipelining, bodies up to a limit); an upgrade to
`/ocpp/{id}` is decided here and by the gate, then the socket is handed to a `WebSocket`.
httptools (the C parser llhttp) rather than h11: benchmarks/ws_codec.py measures a request head
at several times less CPU, and every charger connection starts with one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, cast
from urllib.parse import unquote

import httptools

from evfault.net.asgi import RequestCycle, plain_response, scope_for
from evfault.net.upgrade import Refused, Upgrade, check_upgrade, is_websocket_upgrade
from evfault.ocpp.admission import Admission, Handshake, RefusalReason

if TYPE_CHECKING:
    from evfault.net.listener import Listener

log = logging.getLogger("evfault.net")

LINGER_S = 2.0  # after a refusal, how long unread input is drained before the socket is cut


class HttpConnection(asyncio.Protocol):
    """Reads request heads, runs requests one at a time, and upgrades OCPP WebSockets."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.limits = listener.limits
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.address = ""
        self.client: tuple[str, int] | None = None
        self.tls = False
        self.counted = False
        self.refusal: str | None = None  # a connection limit this one is over
        self.parser = httptools.HttpRequestParser(self)
        self.closed = False
        self.done = False  # answered for good (refused, upgraded or closing)
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._in_head = False
        self._parsing: RequestCycle | None = None
        self._running: RequestCycle | None = None
        self._waiting: deque[RequestCycle] = deque()
        self._upgrade: tuple[str, bytes, list[tuple[bytes, bytes]]] | None = None
        self._upgrade_rest = b""
        self._upgrading = False
        self._gate_task: asyncio.Task[None] | None = None
        self._too_many_headers_seen = False
        self._paused = False
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

    # ---- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        self.address = self.client[0] if self.client else ""
        self.tls = transport.get_extra_info("sslcontext") is not None
        self.transport.set_write_buffer_limits(high=self.limits.write_high_water)
        self.listener.http_made(self)

    def data_received(self, data: bytes) -> None:
        if self.done:
            return  # lingering after a refusal: input is read and dropped
        if self._upgrade is not None:
            self._upgrade_rest += data
            return
        if not self._in_head and self._running is None and not self._waiting:
            self._in_head = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            if self._upgrade is None:
                # Another protocol (h2c, say) was asked for and is not spoken: the request is
                # answered as plain HTTP, and the parser cannot go on, so neither can the
                # connection.
                for cycle in self.cycles():
                    cycle.keep_alive = False
                return
            self._upgrade_rest = data[upgrade.args[0]:] if upgrade.args else b""
            self._start_upgrade()
            return
        except httptools.HttpParserError as exc:
            if self._too_many_headers_seen:
                self._too_many_headers()
            else:
                self.refuse(400, f"malformed HTTP request: {exc}")
            return
        if self._in_head and not self.done:
            self._check_head_size(len(data))

    def _check_head_size(self, received: int) -> None:
        self._head_bytes += received
        if len(self._url) > self.limits.max_request_line:
            self.listener.bitten("request-line", "answered 414 to requests with a line over "
                                 "%d bytes (max_request_line); latest from %s",
                                 self.limits.max_request_line, self.address)
            self.refuse(414, f"the request line is longer than {self.limits.max_request_line} "
                        "bytes")
        elif self._head_bytes > self.limits.max_header_size + self.limits.max_request_line:
            self._too_many_headers()

    def _too_many_headers(self) -> None:
        self.listener.bitten("headers", "answered 431 to requests with over %d header bytes "
                             "or %d headers (max_header_size); latest from %s",
                             self.limits.max_header_size, self.limits.max_headers, self.address)
        self.refuse(431, "the request headers are too large or too many")

    def eof_received(self) -> bool | None:
        return None  # close: a half-closed HTTP client has nothing more to say

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.done = True
        self.listener.http_lost(self)
        for cycle in (self._running, *self._waiting):
            if cycle is not None:
                cycle.disconnect()
        self._waiting.clear()
        self._wake_drain()
        if self._gate_task is not None:
            self._gate_task.cancel()  # nobody is left to hear the gate's answer

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain()

    # ---- httptools callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._in_head = True

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        if len(self._headers) > self.limits.max_headers:
            self._too_many_headers_seen = True
            raise httptools.HttpParserCallbackError("too many headers")

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self.listener.head_complete(self)
        method = self.parser.get_method().decode("ascii", "replace")
        if is_websocket_upgrade(self._headers):
            self._upgrade = (method, self._url, self._headers)
            self._upgrade_rest = b""
            return
        keep_alive = self.parser.should_keep_alive() and self.refusal is None
        scope = scope_for(method, self._url, self._headers, self.parser.get_http_version(),
                          tls=self.tls, client=self.client, server=self.listener.sockname,
                          unquote=unquote)
        cycle = RequestCycle(self, scope, keep_alive)
        self._parsing = cycle
        length = _content_length(self._headers)
        if length is not None and length > self.limits.max_request_body:
            self._body_too_large()
            return
        if self.refusal is None and any(name == b"expect" and value.lower() == b"100-continue"
                                        for name, value in self._headers):
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if self._running is None:
            self._run(cycle)
        else:
            self._waiting.append(cycle)
            self.pause_body()  # one pipelined request at a time is plenty

    def on_body(self, body: bytes) -> None:
        cycle = self._parsing
        if cycle is None or self.done:
            return
        if len(cycle.body) + len(body) > self.limits.max_request_body:
            self._body_too_large()
            return
        cycle.feed_body(body)

    def on_message_complete(self) -> None:
        if self._parsing is not None:
            self._parsing.body_complete()
            self._parsing = None
        elif self._upgrade is not None:
            self._start_upgrade()

    # ---- requests ---------------------------------------------------------------------------

    def _run(self, cycle: RequestCycle) -> None:
        self._running = cycle
        if self.refusal is not None:
            self._refuse_for_limit("")
            return
        cycle.task = self.listener.loop.create_task(cycle.run(self.listener.app))

    def cycle_done(self, cycle: RequestCycle, reusable: bool) -> None:
        if cycle is not self._running:
            return
        self._running = None
        if self.closed or self.done:
            return
        if not reusable:
            self.done = True
            self.transport.close()
            return
        if self._waiting:
            self._run(self._waiting.popleft())
            self.resume_body()
            return
        self.listener.expect_head(self)
        self.resume_body()

    def _body_too_large(self) -> None:
        self.listener.bitten("body", "answered 413 to request bodies over %d bytes "
                             "(max_request_body); latest from %s",
                             self.limits.max_request_body, self.address)
        self.refuse(413, f"the request body is larger than {self.limits.max_request_body} bytes")

    def pause_body(self) -> None:
        if not self._paused and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume_body(self) -> None:
        if self._paused and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    async def drain(self) -> None:
        """Wait while the client is not reading what was written to it."""
        while self._write_paused and not self.closed:
            if self.transport.get_write_buffer_size() > self.limits.max_send_buffer:
                self.transport.abort()
                return
            self._drain_waiter = self.listener.loop.create_future()
            try:
                await self._drain_waiter
            finally:
                self._drain_waiter = None

    def _wake_drain(self) -> None:
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    def cycles(self) -> list[RequestCycle]:
        """The request running and those waiting behind it."""
        return [c for c in (self._running, *self._waiting) if c is not None]

    def shutdown(self) -> None:
        """The server stops: requests learn their client is gone; an idle socket closes."""
        for cycle in self.cycles():
            cycle.disconnect()
        if self._running is None and not self.closed:
            self.done = True
            self.transport.close()

    # ---- refusals -------------------------------------------------------------------------

    def refuse(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
               ) -> None:
        """Answer with a status and one line, then close (after draining what still comes)."""
        if self.done:
            return
        self.done = True
        for cycle in (self._running, *self._waiting):
            if cycle is not None:
                cycle.disconnect()
        self.transport.write(plain_response(status, message, headers))
        if self.transport.can_write_eof():
            # Half-close and keep reading: closing with unread input would reset the
            # connection and the client might never see why it was refused.
            self.transport.write_eof()
            self.resume_body()
            self.listener.linger(self, LINGER_S)
        else:
            self.transport.close()

    def _refuse_for_limit(self, charger_id: str) -> None:
        assert self.refusal is not None
        self.listener.bitten("limit", "refused connections (503): %s; latest from %s",
                             self.refusal, self.address)
        if charger_id:
            self.listener.gate.refused(charger_id, self.address, RefusalReason.LIMIT)
        self.refuse(503, f"limit: {self.refusal}; try again later",
                    (("retry-after", "60"),))

    def timed_out(self) -> None:
        """The sweep found no complete request head in time (or a refusal lingering)."""
        if self.done or not self._in_head:
            self.done = True
            self.transport.abort()
            return
        if self._head_bytes or self._url:
            self.listener.bitten("header-timeout", "closed connections that sent no complete "
                                 "request head within %.0f s (header_timeout); latest from %s",
                                 self.limits.header_timeout, self.address)
        self.done = True
        self.transport.abort()

    # ---- the WebSocket upgrade --------------------------------------------------------------

    def _start_upgrade(self) -> None:
        if self._upgrade is None or self.done or self._upgrading:
            return
        self._upgrading = True
        if self._running is not None or self._waiting:
            self.refuse(400, "a WebSocket upgrade must not follow a pipelined request")
            return
        self.pause_body()
        # The head is in, but the gate may be slow (a database): the connection still has
        # header_timeout from now to be decided, or it is cut.
        self.listener.expect_head(self)
        method, target, headers = self._upgrade
        self._gate_task = self.listener.loop.create_task(
            self._upgrade_with_gate(method, target, headers))

    async def _upgrade_with_gate(self, method: str, target: bytes,
                                 headers: list[tuple[bytes, bytes]]) -> None:
        raw_path = target.partition(b"?")[0].decode("latin-1")
        settings = self.listener.settings
        decision = check_upgrade(method, raw_path, headers, tls=self.tls,
                                 max_id_length=settings.max_charger_id,
                                 require_subprotocol=settings.require_subprotocol)
        if isinstance(decision, Refused):
            self._refuse_upgrade(decision)
            return
        if self.refusal is not None:
            self._refuse_for_limit(decision.charger_id)
            return
        admission = await self._admit(decision)
        if admission is None or self.closed or self.done:
            return
        self.listener.upgraded(self, decision, admission.registration, self._upgrade_rest)

    async def _admit(self, decision: Upgrade) -> Admission | None:
        from evfault.net.tls import certificate_identity

        handshake = Handshake(decision.charger_id, self.address, self.tls,
                              decision.basic_user, decision.basic_password,
                              certificate_identity(self.transport.get_extra_info("ssl_object")))
        try:
            admission = await self.listener.gate.admit(handshake)
        except Exception:
            log.exception("%s: the gate failed to decide; refusing for now", decision.charger_id)
            self.refuse(503, "the server cannot check this charger right now; try again later")
            return None
        if admission.admitted:
            return admission
        self.listener.bitten(f"refused-{admission.reason}", "%s: refused a connection from %s: "
                             "%s (%s)", decision.charger_id, self.address,
                             admission.reason or "refused", admission.message)
        extra = (("www-authenticate", 'Basic realm="evfault"'),) if admission.status == 401 else ()
        self.refuse(admission.status, admission.message or str(admission.reason), extra)
        return None

    def _refuse_upgrade(self, decision: Refused) -> None:
        if decision.reason is not None:
            self.listener.gate.refused(decision.charger_id, self.address, decision.reason)
            self.listener.bitten(f"refused-{decision.reason}", "refused a connection from %s "
                                 "(%s): %s", self.address, decision.reason, decision.message)
        self.refuse(decision.status, decision.message, decision.headers)



def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
