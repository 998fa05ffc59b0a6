"""One charger's WebSocket connection: read frames in order, answer each, never crash.

The work on a frame is done by the one message path (evfault.pipeline); a Session only does the
I/O around it: commit what the frame causes, then answer. Bad input from a charger gets the
CALLERROR the version prescribes and a log line; the connection stays up and no other charger
notices. Every frame in and out is logged raw.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from evfault.decode.model import DecodeWarning
from evfault.ocpp.admission import Registration
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.rpc import Fault, RpcError
from evfault.pipeline import Processed

log = logging.getLogger("evfault.ocpp")

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]

# How long closing waits for the message being handled to be answered.
CLOSE_WAIT_S = 10.0


class Session:
    # Set by the transport from the gate's answer (the charger's standing in the registry).
    registration: Registration = Registration.ACCEPTED

    def __init__(self, central: CentralSystem, charger_id: str, version: str, send: Send,
                 close: Close) -> None:
        self.central = central
        self.charger_id = charger_id
        self.version = version
        self._send = send
        self._close = close
        self._warned: set[str] = set()
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.registration = Registration.ACCEPTED  # set by the transport, kept by the registry
        self.closing = False
        self._busy = asyncio.Lock()  # held while a frame is handled

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.central.services.clock

    async def close(self, code: int, reason: str) -> None:
        """Close once the frame being handled is answered (e.g. replaced by a new connection):
        a message in flight is answered, or it is neither stored nor answered."""
        self.closing = True
        try:
            await asyncio.wait_for(self._busy.acquire(), CLOSE_WAIT_S)
        except TimeoutError:
            log.warning("%s: closing without waiting for the message being handled",
                        self.charger_id)
        else:
            self._busy.release()
        try:
            await self._close(code, reason)
        except Exception:  # the transport may already be gone; closing is best effort
            log.debug("closing %s failed", self.charger_id, exc_info=True)

    # ---- incoming -------------------------------------------------------------------------

    async def receive(self, text: str) -> None:
        """Handle one incoming frame completely (stored, tracked, answered)."""
        if self.closing:
            return  # not stored, not answered: the charger sends it again when it reconnects
        async with self._busy:
            await self._handle(text)

    async def _handle(self, text: str) -> None:
        received_at = self.clock()
        central = self.central
        done = central.path.incoming(self.charger_id, self.version, text, received_at,
                                     self.registration)
        if done.reply is not None:
            future = self.pending.pop(done.reply.message_id, None)
            if future is not None and not future.done():
                future.set_result(done.reply)
        if not await central.commit(done, self.charger_id):
            if done.answer is None or done.error is not None:
                log.warning("%s: storing a frame failed", self.charger_id)
            else:
                # Not stored means not acknowledged: the charger will retry the message.
                error = RpcError(Fault.INTERNAL, "evfault could not store the message; retry "
                                 "later", done.message_id or "-1")
                done = central.path.rejected(self.charger_id, self.version, error, text,
                                             received_at, done.action)
                if not await central.commit(done, self.charger_id):
                    log.warning("%s: storing a rejected frame failed too", self.charger_id)
        self._log(done)
        if done.answer is not None:
            await self._send(done.answer)

    # ---- helpers --------------------------------------------------------------------------

    def _log(self, done: Processed) -> None:
        error = done.error
        if error is not None:
            cause = error.__cause__
            if cause is not None:
                log.error("%s: handler for %s failed", self.charger_id, done.action,
                          exc_info=cause)
            log.warning("%s: answered CALLERROR %s: %s", self.charger_id, error.fault.value,
                        error.description)
        self._log_warnings(done.warnings)

    def _log_warnings(self, warnings: tuple[DecodeWarning, ...]) -> None:
        # One line per rule per connection: a broken charger repeats itself all day.
        for warning in warnings:
            if warning.rule not in self._warned:
                self._warned.add(warning.rule)
                log.info("%s: conformance warning %s: %s", self.charger_id, warning.rule,
                         warning.message)
