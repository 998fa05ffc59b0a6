"""One charger's WebSocket connection: read frames in order, answer each, never crash.

The work on a frame is done by the one message path (evfault.pipeline); a Session only does the
I/O around it: commit what the frame causes, then answer. Bad input from a charger gets the
CALLERROR the version prescribes and a log line; the connection stays up and no other charger
notices. Every frame in and out is logged raw.

Calls the other way (evfault → charger) go through `Session.call`: one at a time per charger,
as OCPP-J requires (the rest wait their turn), each answered by the CALLRESULT or CALLERROR with
its message id, or ended by a `CallTimeout` or, when the connection goes, a `CallAborted`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from evfault.decode.model import DecodeWarning
from evfault.ocpp.admission import Registration
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.rpc import CallError, CallResult, Fault, RpcError, call
from evfault.pipeline import Processed
from evfault.store.model import MessageRow, WriteBatch

log = logging.getLogger("evfault.ocpp")

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]

# How long closing waits for the message being handled to be answered.
CLOSE_WAIT_S = 10.0


class CallTimeout(TimeoutError):
    """The charger did not answer a call in time (or the call never got its turn to be sent)."""

    def __init__(self, charger_id: str, action: str, timeout: float, sent: bool) -> None:
        where = "answer" if sent else "finish the calls before it"
        super().__init__(f"{charger_id} did not {where} within {timeout:g} s ({action})")
        self.charger_id = charger_id
        self.action = action
        self.sent = sent


class CallAborted(ConnectionError):
    """The charger's connection ended before it answered the call."""

    def __init__(self, charger_id: str, action: str) -> None:
        super().__init__(f"{charger_id} disconnected before answering {action}")
        self.charger_id = charger_id
        self.action = action


Reply = CallResult | CallError


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
        self._calling = asyncio.Lock()  # held while one of our calls awaits its answer
        self._gone = False  # the connection ended: no more calls

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.central.services.clock

    async def close(self, code: int, reason: str) -> None:
        """Close once the frame being handled is answered (e.g. replaced by a new connection):
        a message in flight is answered, or it is neither stored nor answered."""
        self.closing = True
        try:
            async with asyncio.timeout(CLOSE_WAIT_S):
                await self._busy.acquire()
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
        busy_retry = central.busy_retry(self.charger_id)
        done = central.path.incoming(self.charger_id, self.version, text, received_at,
                                     self.registration, busy_retry)
        if busy_retry is not None and done.action == "BootNotification":
            central.load.deferred += 1
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

    # ---- outgoing ---------------------------------------------------------------------------

    async def call(self, action: str, payload: dict[str, Any],
                   timeout: float) -> Reply:  # noqa: ASYNC109 - the bound is the contract
        """Send a CALL and return the charger's CALLRESULT or CALLERROR for it.

        Calls to one charger go one at a time (OCPP-J allows one outstanding CALL); `timeout`
        bounds the whole wait, the turn included. Raises CallTimeout or CallAborted."""
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                await self._calling.acquire()
        except TimeoutError:
            raise CallTimeout(self.charger_id, action, timeout, sent=False) from None
        try:
            return await self._call_now(action, payload, timeout, deadline)
        finally:
            self._calling.release()

    async def _call_now(self, action: str, payload: dict[str, Any], limit_s: float,
                        deadline: float) -> Reply:
        if self._gone or self.closing:
            raise CallAborted(self.charger_id, action)
        message_id = str(uuid.uuid4())
        text = call(message_id, action, payload)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        try:
            await self.central.services.store.write(WriteBatch(messages=[
                MessageRow(self.charger_id, "out", self.clock(), text, action, message_id)]))
            await self._send(text)
            async with asyncio.timeout_at(deadline):
                return await future
        except TimeoutError:
            raise CallTimeout(self.charger_id, action, limit_s, sent=True) from None
        finally:
            self.pending.pop(message_id, None)

    def abandon_calls(self) -> None:
        """The connection ended: every call waiting for an answer fails with CallAborted."""
        self._gone = True
        for future in self.pending.values():
            if not future.done():
                future.set_exception(CallAborted(self.charger_id, "a call"))
        self.pending.clear()

    # ---- helpers --------------------------------------------------------------------------

    def _log(self, done: Processed) -> None:
        error = done.error
        if error is not None:
            cause = error.__cause__
            if cause is not None:
                log.error("%s: handler for %s failed", self.charger_id, done.action,
                          exc_info=cause)
            self.central.bad_frames_log.warning(f"{self.charger_id}:callerror",
                                   "%s: answered CALLERROR %s: %s", self.charger_id,
                                   error.fault.value, error.description)
        self._log_warnings(done.warnings)

    def _log_warnings(self, warnings: tuple[DecodeWarning, ...]) -> None:
        # One line per rule per connection: a broken charger repeats itself all day.
        for warning in warnings:
            if warning.rule not in self._warned:
                self._warned.add(warning.rule)
                log.info("%s: conformance warning %s: %s", self.charger_id, warning.rule,
                         warning.message)
