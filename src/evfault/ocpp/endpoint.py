"""The OCPP-J endpoint `/ocpp/{chargePointId}`: the id and subprotocol rules, then a Session.

The transport (evfault.net) reads the upgrade request and asks the gate; what it accepts ends
here, where the connection becomes a `Session` of the central system.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

from evfault.ocpp.admission import Registration
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.session import Session

log = logging.getLogger("evfault.ocpp")

SUBPROTOCOLS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
# OCPP 2.0.1 identifierString; 1.6 chargers use the same characters in practice.
_ID_CHARS = re.compile(r"[A-Za-z0-9*\-_=:+|@.]+")
POLICY_VIOLATION = 1008


def charger_id_problem(raw: str, max_length: int) -> str | None:
    """Why a charge point id is unacceptable, or None if it is fine."""
    if not raw:
        return "the charge point id is empty"
    if len(raw) > max_length:
        return f"the charge point id is longer than {max_length} characters"
    if not _ID_CHARS.fullmatch(raw):
        return "the charge point id has characters outside A-Z a-z 0-9 * - _ = : + | @ ."
    return None


class Connection(Protocol):
    """The charger's side of an accepted WebSocket, as the session uses it."""

    async def send(self, text: str) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class OcppHandler:
    """Feeds one connection's messages to its Session; tells the central system at the end."""

    __slots__ = ("central", "receive", "session")

    def __init__(self, central: CentralSystem, session: Session) -> None:
        self.central = central
        self.session = session
        # The session's own method, not a wrapper: one coroutine per message, not two.
        self.receive: Callable[[str], Awaitable[None]] = session.receive

    async def ended(self) -> None:
        await self.central.disconnected(self.session, self.central.services.clock())


async def open_session(central: CentralSystem, connection: Connection, charger_id: str,
                       version: str, subprotocol: str | None,
                       registration: Registration = Registration.ACCEPTED) -> OcppHandler:
    """Make the admitted connection a Session: replace an older one, record it connected."""
    if subprotocol is None:
        log.info("%s: offered no subprotocol; serving it as OCPP 1.6", charger_id)
    session = Session(central, charger_id, version, connection.send, connection.close)
    session.registration = registration
    previous = central.attach(session)
    if previous is not None:
        log.info("%s: a new connection replaces the previous one", charger_id)
        await previous.close(1000, "replaced by a newer connection")
    await central.connected(session, central.services.clock())
    return OcppHandler(central, session)
