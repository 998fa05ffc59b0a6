"""One OCPP-J connection from a virtual charger: its CALLs out, the central system's CALLs in.

Lean on purpose (thousands per process): no schema validation and no per-message objects, one
reader task per connection, answers matched to calls by message id. A charger sends one CALL at
a time, as OCPP-J requires, so waiting for the answer is the natural back-pressure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from evfault.sim.stats import FleetStats

CALL, CALLRESULT, CALLERROR = 2, 3, 4
log = logging.getLogger("evfault.sim")


@dataclass(frozen=True, slots=True)
class CallErrorReply:
    """The CALLERROR a charger answers a server's CALL with."""

    code: str
    description: str = ""


Reply = dict[str, Any] | CallErrorReply
ServerCallHandler = Callable[[str, dict[str, Any]], Reply]


class Link:
    """An open connection. `call` returns the answer's payload, or None when there is none."""

    def __init__(
        self,
        ws: ClientConnection,
        on_call: ServerCallHandler,
        stats: FleetStats,
        timeout: float,
        on_close: Callable[[], None] | None = None,
        version: str = "1.6",
        after_answer: Callable[[], None] | None = None,
    ) -> None:
        self.ws = ws
        self._on_close = on_close
        self._after_answer = after_answer
        # OCPP 1.6 spells the error FormationViolation; 2.0.1 FormatViolation.
        self._format_error = "FormationViolation" if version == "1.6" else "FormatViolation"
        self._on_call = on_call
        self._stats = stats
        self._timeout = timeout
        self._pending: dict[str, asyncio.Future[tuple[int, Any]]] = {}
        self._next_id = 0
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send a CALL and wait for its CALLRESULT; errors, timeouts and drops count and give
        None (the charger carries on, as real firmware does)."""
        self._next_id += 1
        message_id = str(self._next_id)
        future: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        started = time.perf_counter()
        self._stats.sent += 1
        self._stats.by_action[action] += 1
        try:
            await self.ws.send(orjson.dumps([CALL, message_id, action, payload]).decode())
            async with asyncio.timeout(self._timeout):
                kind, body = await future
        except TimeoutError:
            self._stats.timeouts += 1
            return None
        except ConnectionClosed:
            self._stats.lost += 1
            return None
        finally:
            self._pending.pop(message_id, None)
        if kind == CALLERROR:
            self._stats.call_errors += 1
            self._stats.last_error = f"{action}: CALLERROR {body}"
            return None
        self._stats.answered += 1
        self._stats.record_latency(time.perf_counter() - started)
        return body if isinstance(body, dict) else {}

    async def close(self, abort: bool = False) -> None:
        """Close the connection: politely, or (abort) by dropping TCP as a failing modem does."""
        if abort and self.ws.transport is not None:
            self.ws.transport.abort()
        else:
            await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        self._finish()

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                await self._dispatch(raw)
        except ConnectionClosed:
            pass
        finally:
            self._finish()

    def _finish(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        if self._on_close is not None:
            self._on_close()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionClosed(None, None))

    async def _dispatch(self, raw: str | bytes) -> None:
        try:
            frame = orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.warning("unreadable frame from the central system: %.200r", raw)
            return
        if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], str):
            return
        if frame[0] == CALL and len(frame) == 4:
            await self._answer(frame[1], str(frame[2]), frame[3])
        elif frame[0] in (CALLRESULT, CALLERROR):
            self._resolve(frame)

    def _resolve(self, frame: list[Any]) -> None:
        future = self._pending.get(frame[1])
        if future is None or future.done():
            return
        if frame[0] == CALLRESULT:
            future.set_result((CALLRESULT, frame[2]))
        else:
            future.set_result((CALLERROR, frame[2]))

    async def _answer(self, message_id: str, action: str, payload: Any) -> None:
        self._stats.server_calls += 1
        if not isinstance(payload, dict):
            reply: Reply = CallErrorReply(self._format_error, "the payload is not an object")
        else:
            try:
                reply = self._on_call(action, payload)
            except Exception as exc:  # a bug in an answer must not take the connection down
                log.exception("answering %s failed", action)
                reply = CallErrorReply("InternalError", str(exc)[:200])
        if isinstance(reply, CallErrorReply):
            frame: list[Any] = [CALLERROR, message_id, reply.code, reply.description, {}]
        else:
            frame = [CALLRESULT, message_id, reply]
        try:
            await self.ws.send(orjson.dumps(frame).decode())
        finally:
            # Follow-ups (a reset, a triggered message) start only once the answer is out: a
            # central system expects the CALLRESULT before what it asked for.
            if self._after_answer is not None:
                self._after_answer()
