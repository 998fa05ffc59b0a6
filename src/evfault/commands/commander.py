"""The commander: a command in our vocabulary → the charger's CALL → its answer, recorded.

    outcome = await services.commander.send("CP-1", "reset", {"type": "soft"}, actor="ana")
    outcome.status  # CommandStatus.ACCEPTED, .REJECTED, .TIMEOUT, .OFFLINE, .INVALID, …
    outcome.answer  # the charger's CALLRESULT payload, e.g. {"status": "Accepted"}

The command is spelled for the charger's OCPP version and checked against that version's schema
before anything is sent (an invalid one never reaches the charger). Its history row is written
before the CALL leaves and completed with the answer or the timeout, so the history holds every
command, even one whose node died waiting. The charger may be connected to another node: then
the call travels over the bus to that node (see evfault.commands.remote) and the answer returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from evfault.commands import vocabulary
from evfault.commands.model import CommandInvalid, CommandOutcome, CommandStatus, Request
from evfault.commands.outgoing import check
from evfault.ocpp.rpc import CallError, CallResult
from evfault.store import commands as rows
from evfault.store.trust_store import TrustStore

if TYPE_CHECKING:
    from evfault.ocpp.central import CentralSystem

log = logging.getLogger("evfault.commands")

Reply = CallResult | CallError
HISTORY_LIMIT = 50


class Remote(Protocol):
    """Carries a call to the node holding a charger's connection (the bus's side)."""

    async def call(self, node: str, charger_id: str, action: str, payload: dict[str, Any],
                   timeout: float) -> Reply:  # noqa: ASYNC109 - passed on to Session.call
        """The charger's answer; raises CallTimeout, CallAborted or NotHeld."""


class NotHeld(LookupError):
    """The node asked to carry a call does not hold the charger's connection."""


class Commander:
    """Sends commands to chargers, wherever they are connected, and keeps their history."""

    def __init__(self, central: CentralSystem, history: TrustStore, *, timeout: float = 30.0,
                 new_id: Callable[[], str] | None = None, remote: Remote | None = None) -> None:
        from evfault.ocpp.central import new_incident_id

        self.central = central
        self.history_store = history
        self.timeout = timeout
        self.new_id = new_id or new_incident_id
        self.remote = remote

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.central.services.clock

    async def send(self, charger_id: str, command: str, args: Mapping[str, Any] | None = None,
                   *, actor: str,
                   timeout: float | None = None) -> CommandOutcome:  # noqa: ASYNC109 - recorded
        """Send `command` to the charger and return what became of it (also recorded)."""
        base = CommandOutcome(self.new_id(), charger_id, command, dict(args or {}), actor,
                              CommandStatus.PENDING, self.clock())
        target = await self._target(charger_id)
        try:
            request = self._request(command, base.args, target)
        except CommandInvalid as exc:
            return await self._record(replace(base, status=CommandStatus.INVALID,
                                              error=str(exc)))
        if target is None or request is None:
            return await self._record(replace(base, status=CommandStatus.OFFLINE,
                                              error=f"{charger_id} is not connected."))
        node = target[1]
        pending = replace(base, action=request.action, payload=request.payload, node=node)
        await self.history_store.write(rows.add, pending)
        outcome = await self._deliver(pending, timeout or self.timeout)
        await self.history_store.write(rows.finish, outcome)
        log.info("%s: %s by %s → %s", charger_id, command, actor, outcome.status.value)
        return outcome

    async def history(self, charger_id: str, limit: int = HISTORY_LIMIT) -> list[CommandOutcome]:
        """A charger's commands, newest first."""
        return await self.history_store.read(rows.history, charger_id, limit)

    # ---- steps ------------------------------------------------------------------------------

    async def _target(self, charger_id: str) -> tuple[str, str] | None:
        """(OCPP version, node) of the charger's live connection, or None when there is none."""
        session = self.central.sessions.get(charger_id)
        if session is not None:
            return session.version, self.central.node
        if self.remote is None:
            return None
        row = await self.central.services.store.charger(charger_id)
        if row is None or not row.online or row.node in (None, self.central.node):
            return None
        return (row.protocol or vocabulary.V16), row.node

    @staticmethod
    def _request(command: str, args: dict[str, Any], target: tuple[str, str] | None
                 ) -> Request | None:
        """The checked CALL (None when offline: no version to spell it in, nothing to send)."""
        vocabulary.check_name(command)
        if target is None:
            return None
        request = vocabulary.build(target[0], command, args)
        check(target[0], request)
        return request

    async def _deliver(self, pending: CommandOutcome, limit_s: float) -> CommandOutcome:
        from evfault.ocpp.session import CallAborted, CallTimeout

        assert pending.action is not None and pending.payload is not None
        try:
            reply = await self._call(pending, limit_s)
        except CallTimeout as exc:
            return replace(pending, status=CommandStatus.TIMEOUT, error=f"{exc}.")
        except (CallAborted, NotHeld) as exc:
            return replace(pending, status=CommandStatus.OFFLINE, error=f"{exc}.")
        answered = replace(pending, answered_at=self.clock())
        if isinstance(reply, CallError):
            return replace(answered, status=CommandStatus.ERROR, answer=reply.details,
                           error=f"The charger answered {reply.code}: {reply.description}")
        return replace(answered, status=vocabulary.status_of(reply.payload),
                       answer=reply.payload)

    async def _call(self, pending: CommandOutcome, limit_s: float) -> Reply:
        assert pending.action is not None and pending.payload is not None
        session = self.central.sessions.get(pending.charger_id)
        if session is not None:
            return await session.call(pending.action, pending.payload, limit_s)
        if self.remote is None or pending.node is None:
            raise NotHeld(f"{pending.charger_id} is no longer connected")
        return await self.remote.call(pending.node, pending.charger_id, pending.action,
                                      pending.payload, limit_s)

    async def _record(self, outcome: CommandOutcome) -> CommandOutcome:
        await self.history_store.write(rows.add, outcome)
        return outcome
