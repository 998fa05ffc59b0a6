"""The OCPP-J WebSocket endpoint `/ocpp/{chargePointId}`: handshake checks, then a Session."""

from __future__ import annotations

import base64
import binascii
import logging
import re
from urllib.parse import unquote

from starlette.websockets import WebSocket, WebSocketDisconnect

from evfault.ocpp.admission import Admission, Gate, Handshake, RefusalReason, Registration
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


def choose_subprotocol(offered: list[str]) -> str | None:
    """The first subprotocol the charger offers that evfault speaks (charger's preference)."""
    for name in offered:
        if name.strip().lower() in SUBPROTOCOLS:
            return name.strip().lower()
    return None


def basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    """(user, password) of an `Authorization: Basic …` header; (None, None) without one."""
    if not header or header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else (None, None)


def handshake_of(websocket: WebSocket, charger_id: str) -> Handshake:
    user, password = basic_credentials(websocket.headers.get("authorization"))
    address = websocket.client.host if websocket.client else ""
    return Handshake(charger_id, address, websocket.url.scheme == "wss", user, password)


async def ocpp_endpoint(websocket: WebSocket) -> None:
    central: CentralSystem = websocket.app.state.central
    gate: Gate | None = getattr(websocket.app.state, "gate", None)
    settings = central.services.settings
    charger_id = unquote(websocket.path_params.get("charge_point_id", ""))
    address = websocket.client.host if websocket.client else ""
    problem = charger_id_problem(charger_id, settings.max_charger_id)
    if problem:
        log.warning("refused a connection: %s (%r)", problem, charger_id[:80])
        if gate is not None:
            gate.refused(charger_id[:80], address, RefusalReason.BAD_ID)
        await websocket.close(POLICY_VIOLATION)
        return
    offered = list(websocket.scope.get("subprotocols") or [])
    chosen = choose_subprotocol(offered)
    if chosen is None and (offered or settings.require_subprotocol):
        log.warning("%s: refused: offers no OCPP version evfault speaks (%s)", charger_id,
                    ", ".join(offered) or "none")
        if gate is not None:
            gate.refused(charger_id, address, RefusalReason.BAD_SUBPROTOCOL)
        await websocket.close(POLICY_VIOLATION)
        return
    admission = (await gate.admit(handshake_of(websocket, charger_id)) if gate is not None
                 else Admission.allow())
    if not admission.admitted:
        # Before accept Starlette can only answer 403; the new transport answers the status.
        await websocket.close(POLICY_VIOLATION)
        return
    if chosen is None:
        log.info("%s: offered no subprotocol; serving it as OCPP 1.6", charger_id)
    await websocket.accept(subprotocol=chosen)
    await _serve(central, websocket, charger_id, SUBPROTOCOLS.get(chosen or "", "1.6"),
                 admission.registration)


async def _serve(central: CentralSystem, websocket: WebSocket, charger_id: str,
                 version: str, registration: Registration = Registration.ACCEPTED) -> None:
    async def close(code: int, reason: str) -> None:
        await websocket.close(code, reason)

    session = Session(central, charger_id, version, websocket.send_text, close)
    session.registration = registration
    previous = central.attach(session)
    if previous is not None:
        log.info("%s: a new connection replaces the previous one", charger_id)
        await previous.close(1000, "replaced by a newer connection")
    await central.connected(session, central.services.clock())
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            await session.receive(text)
    except WebSocketDisconnect:
        pass
    finally:
        await central.disconnected(session, central.services.clock())
