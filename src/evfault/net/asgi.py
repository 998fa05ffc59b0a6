"""One HTTP request handed to an ASGI 3 application, and its response written back.

The `http` scope of the ASGI spec (version 2.3: a send after the client left is a quiet no-op,
and `http.disconnect` arrives through `receive` the moment the socket closes, which is how a
Server-Sent Events stream learns its browser has gone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Scope

log = logging.getLogger("evfault.net")

ASGI = {"version": "3.0", "spec_version": "2.3"}
DISCONNECT: Message = {"type": "http.disconnect"}
NO_BODY_STATUSES = frozenset({204, 304})
# Request body bytes held before the socket is no longer read until the app takes them.
BODY_HIGH_WATER = 64 * 1024


def status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


def plain_response(status: int, message: str, headers: tuple[tuple[str, str], ...] = (),
                   close: bool = True) -> bytes:
    """A complete response with a one-line text body (what every refusal looks like)."""
    body = (message.replace("\r", " ").replace("\n", " ") + "\n").encode()
    lines = [status_line(status), b"content-type: text/plain; charset=utf-8\r\n",
             b"content-length: %d\r\n" % len(body)]
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers]
    if close:
        lines.append(b"connection: close\r\n")
    return b"".join([*lines, b"\r\n", body])


class Connection(Protocol):
    """What a request cycle needs from its connection (implemented by HttpConnection)."""

    transport: asyncio.Transport

    def resume_body(self) -> None: ...

    def pause_body(self) -> None: ...

    async def drain(self) -> None: ...

    def cycle_done(self, cycle: RequestCycle, reusable: bool) -> None: ...


class RequestCycle:
    """One request and its response; `receive` and `send` are the ASGI callables."""

    def __init__(self, conn: Connection, scope: Scope, keep_alive: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.keep_alive = keep_alive
        self.body = bytearray()
        self.more_body = True  # the request body is not complete yet
        self._final_given = False
        self.disconnected = False
        self.started = False
        self.complete = False
        self._chunked = False
        self._no_body = scope["method"] == "HEAD"
        self._waiter: asyncio.Future[None] | None = None
        self.task: asyncio.Task[None] | None = None

    # ---- fed by the connection ---------------------------------------------------------

    def feed_body(self, data: bytes) -> None:
        self.body += data
        if len(self.body) > BODY_HIGH_WATER:
            self.conn.pause_body()
        self._wake()

    def body_complete(self) -> None:
        self.more_body = False
        self._wake()

    def disconnect(self) -> None:
        self.disconnected = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ---- the ASGI side -------------------------------------------------------------------

    async def receive(self) -> Message:
        while True:
            if self.disconnected or self.complete:
                return DISCONNECT
            if self.body or (not self.more_body and not self._final_given):
                body = bytes(self.body)
                self.body.clear()
                self._final_given = not self.more_body
                self.conn.resume_body()
                return {"type": "http.request", "body": body, "more_body": self.more_body}
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def send(self, message: Message) -> None:
        if self.disconnected:
            return  # the client has gone; the app learns it from receive()
        kind = message["type"]
        if kind == "http.response.start" and not self.started:
            self._start(message)
        elif kind == "http.response.body" and self.started and not self.complete:
            await self._body(message.get("body", b""), bool(message.get("more_body", False)))
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} for this response")

    def _start(self, message: Message) -> None:
        self.started = True
        status = int(message["status"])
        if status in NO_BODY_STATUSES or status < 200:
            self._no_body = True
        lines = [status_line(status)]
        has_length = False
        for name, value in message.get("headers", ()):
            lowered = bytes(name).lower()
            if lowered == b"content-length":
                has_length = True
            elif lowered in (b"transfer-encoding", b"connection"):
                continue  # framing is this server's business
            lines.append(bytes(name) + b": " + bytes(value) + b"\r\n")
        if not has_length and not self._no_body:
            if self.scope["http_version"] == "1.1":
                self._chunked = True
                lines.append(b"transfer-encoding: chunked\r\n")
            else:  # HTTP/1.0 knows no chunks: the end of the body is the end of the connection
                self.keep_alive = False
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        self.conn.transport.write(b"".join(lines))

    async def _body(self, body: bytes, more: bool) -> None:
        transport = self.conn.transport
        if body and not self._no_body:
            if self._chunked:
                transport.write(b"%x\r\n%b\r\n" % (len(body), body))
            else:
                transport.write(body)
        if not more:
            if self._chunked:
                transport.write(b"0\r\n\r\n")
            self.complete = True
            self._wake()
            return
        await self.conn.drain()

    async def run(self, app: ASGIApp) -> None:
        """Run the app for this request; whatever happens, the connection learns the end."""
        reusable = False
        try:
            await app(self.scope, self.receive, self.send)
            reusable = self.complete and self.keep_alive
            if not self.started and not self.disconnected:
                log.error("the web app gave no response to %s %s", self.scope["method"],
                          self.scope["path"])
                self.conn.transport.write(plain_response(500, "the server gave no response"))
        except asyncio.CancelledError:
            raise
        except Exception:
            if self.disconnected:  # an app cut short by a client that left; nothing to tell
                log.debug("request ended after the client left", exc_info=True)
            else:
                log.exception("the web app failed on %s %s", self.scope["method"],
                              self.scope["path"])
                if not self.started:
                    self.conn.transport.write(plain_response(500, "internal server error"))
        finally:
            self.conn.cycle_done(self, reusable)


def scope_for(method: str, target: bytes, headers: list[tuple[bytes, bytes]], http_version: str,
              *, tls: bool, client: tuple[str, int] | None, server: tuple[str, int] | None,
              unquote: Callable[[str], str]) -> Scope:
    """The ASGI `http` scope of one request."""
    raw_path, _, query = target.partition(b"?")
    path = raw_path.decode("latin-1")
    scope: dict[str, Any] = {
        "type": "http", "asgi": ASGI, "http_version": http_version, "method": method,
        "scheme": "https" if tls else "http", "path": unquote(path) if "%" in path else path,
        "raw_path": raw_path, "query_string": query, "root_path": "", "headers": headers,
        "client": client, "server": server,
    }
    return scope
