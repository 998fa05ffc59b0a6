"""One charger's WebSocket connection: read frames in order, answer each, never crash.

Bad input from a charger gets the CALLERROR the version prescribes and a log line; the
connection stays up and no other charger notices. Every frame in and out is logged raw.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from evfault.decode.model import DecodeWarning
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.outcome import Handler, HandlerContext, Outcome
from evfault.ocpp.rpc import (
    Call,
    CallError,
    CallResult,
    Fault,
    RpcError,
    call_error,
    call_result,
    parse_frame,
)
from evfault.ocpp.schemas import validate_request
from evfault.ocpp.v16 import handlers as v16_handlers
from evfault.ocpp.v201 import handlers as v201_handlers
from evfault.store.model import ChargerUpdate, MessageRow, WriteBatch

log = logging.getLogger("evfault.ocpp")

HANDLERS: dict[str, dict[str, Handler]] = {
    "1.6": v16_handlers.HANDLERS,
    "2.0.1": v201_handlers.HANDLERS,
}

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class Session:
    def __init__(self, central: CentralSystem, charger_id: str, version: str, send: Send,
                 close: Close) -> None:
        self.central = central
        self.charger_id = charger_id
        self.version = version
        self._send = send
        self._close = close
        self._handlers = HANDLERS[version]
        self._warned: set[str] = set()
        self.pending: dict[str, asyncio.Future[Any]] = {}

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.central.services.clock

    async def close(self, code: int, reason: str) -> None:
        try:
            await self._close(code, reason)
        except Exception:  # the transport may already be gone; closing is best effort
            log.debug("closing %s failed", self.charger_id, exc_info=True)

    # ---- incoming -------------------------------------------------------------------------

    async def receive(self, text: str) -> None:
        """Handle one incoming frame completely (stored, tracked, answered)."""
        received_at = self.clock()
        try:
            frame = parse_frame(text)
            if isinstance(frame, Call):
                await self._on_call(frame, text, received_at)
            else:
                await self._on_reply(frame, text, received_at)
        except RpcError as error:
            await self._reject(error, text, received_at)

    async def _on_call(self, call: Call, raw: str, received_at: datetime) -> None:
        handler = self._handler_for(call)
        validate_request(self.version, call.action, call.payload, call.message_id)
        outcome = self._run(handler, call, received_at)
        answer = call_result(call.message_id, outcome.response)
        batch = WriteBatch(
            messages=[self._row("in", received_at, raw, call.action, call.message_id),
                      self._row("out", received_at, answer, call.action, call.message_id)],
            chargers=[outcome.charger or ChargerUpdate(self.charger_id, last_seen=received_at)],
            status_events=outcome.status_events,
        )
        self._log_warnings(outcome.warnings)
        await self._commit(batch, outcome, call.message_id)
        await self._send(answer)

    def _handler_for(self, call: Call) -> Handler:
        handler = self._handlers.get(call.action)
        if handler is not None:
            return handler
        validate_request(self.version, call.action, call.payload, call.message_id)
        # The schema exists, so the action is real OCPP — just not one a charger sends to us.
        raise RpcError(Fault.NOT_SUPPORTED, f"{call.action} is not handled by a central system",
                       call.message_id)

    def _run(self, handler: Handler, call: Call, received_at: datetime) -> Outcome:
        ctx = HandlerContext(self.charger_id, received_at,
                             self.central.services.settings.heartbeat_interval,
                             self.central.next_transaction_id)
        try:
            return handler(ctx, call.payload)
        except Exception:
            log.exception("%s: handler for %s failed", self.charger_id, call.action)
            raise RpcError(Fault.INTERNAL, f"evfault could not process {call.action}",
                           call.message_id) from None

    async def _commit(self, batch: WriteBatch, outcome: Outcome, message_id: str) -> None:
        try:
            await self.central.apply(batch, outcome.events)
        except Exception:
            # Not stored means not acknowledged: the charger will retry the message.
            log.exception("%s: storing message %s failed", self.charger_id, message_id)
            raise RpcError(Fault.INTERNAL, "evfault could not store the message; retry later",
                           message_id) from None

    async def _on_reply(self, frame: CallResult | CallError, raw: str, at: datetime) -> None:
        future = self.pending.pop(frame.message_id, None)
        if future is not None and not future.done():
            future.set_result(frame)
        batch = WriteBatch(messages=[self._row("in", at, raw, None, frame.message_id)],
                           chargers=[ChargerUpdate(self.charger_id, last_seen=at)])
        await self.central.apply(batch, [])

    async def _reject(self, error: RpcError, raw: str, received_at: datetime) -> None:
        log.warning("%s: answered CALLERROR %s: %s", self.charger_id,
                    error.fault.value, error.description)
        answer = call_error(error, self.version)
        batch = WriteBatch(messages=[
            self._row("in", received_at, raw, None, error.message_id),
            self._row("out", received_at, answer, None, error.message_id),
        ])
        try:
            await self.central.apply(batch, [])
        except Exception:
            log.exception("%s: storing a rejected frame failed", self.charger_id)
        await self._send(answer)

    # ---- helpers --------------------------------------------------------------------------

    def _row(self, direction: str, at: datetime, raw: str, action: str | None,
             message_id: str | None) -> MessageRow:
        return MessageRow(self.charger_id, direction, at, raw, action, message_id)

    def _log_warnings(self, warnings: tuple[DecodeWarning, ...]) -> None:
        # One line per rule per connection: a broken charger repeats itself all day.
        for warning in warnings:
            if warning.rule not in self._warned:
                self._warned.add(warning.rule)
                log.info("%s: conformance warning %s: %s", self.charger_id, warning.rule,
                         warning.message)
