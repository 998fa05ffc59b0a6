"""The rules of an OCPP WebSocket upgrade request, as a pure function of its request head.

Everything the transport decides without the charger registry: the path and the charger id,
the WebSocket headers of RFC 6455 §4.2.1, the subprotocol, the browser origin and the HTTP Basic
credentials. What comes out is either a refusal (status, reason, one line) or what the gate and
the answer need.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from evfault.ocpp.admission import RefusalReason
from evfault.ocpp.endpoint import SUBPROTOCOLS, charger_id_problem

OCPP_PREFIX = "/ocpp/"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

Headers = list[tuple[bytes, bytes]]  # names in lower case, as the ASGI scope holds them


@dataclass(frozen=True, slots=True)
class Refused:
    """An upgrade answered with an HTTP status and one line, never a connection."""

    status: int
    message: str
    reason: RefusalReason | None = None  # None: not a charger's refusal (e.g. a wrong path)
    charger_id: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Upgrade:
    """An upgrade the transport accepts, pending the gate's word."""

    charger_id: str
    version: str  # "1.6" or "2.0.1"
    subprotocol: str | None  # the token exactly as the charger offered it
    accept: str  # Sec-WebSocket-Accept
    basic_user: str | None = None
    basic_password: str | None = None


def header(headers: Headers, name: bytes) -> str | None:
    """All values of one header joined by commas (RFC 9110 §5.3), or None."""
    values = [v.decode("latin-1") for k, v in headers if k == name]
    return ", ".join(values) if values else None


def tokens(value: str | None) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]


def is_websocket_upgrade(headers: Headers) -> bool:
    upgrade = header(headers, b"upgrade") or ""
    return "websocket" in (t.lower() for t in tokens(upgrade))


def charger_id_of(raw_path: str, max_length: int) -> tuple[str, str | None]:
    """The decoded charger id of `/ocpp/{id}` and why it is refused (None: it is fine)."""
    raw = raw_path[len(OCPP_PREFIX):]
    charger_id = unquote(raw, errors="strict") if "%" in raw else raw
    if "/" in raw or "/" in charger_id:
        return charger_id, "the charge point id must not contain /"
    if charger_id in (".", ".."):
        return charger_id, "the charge point id must not be . or .."
    return charger_id, charger_id_problem(charger_id, max_length)


def choose_subprotocol(offered: list[str]) -> str | None:
    """The first token the charger offers that evfault speaks, spelled as the charger spelled it.

    Some chargers offer `OCPP1.6` and abort when the answer is spelled differently (RFC 6455
    §4.1: the answer must be one of the offered values), so matching ignores case and the
    answer does not.
    """
    for token in offered:
        if token.lower() in SUBPROTOCOLS:
            return token
    return None


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def basic_credentials(value: str | None) -> tuple[str | None, str | None]:
    """User and password of `Authorization: Basic …` (RFC 7617), or (None, None)."""
    if not value:
        return None, None
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def origin_matches(origin: str, host: str | None, tls: bool) -> bool:
    """Whether a browser's Origin names this very server (the Host it asked for)."""
    if not host:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        return False
    own = urlsplit(("https://" if tls else "http://") + host)
    try:
        own_port = own.port or (443 if tls else 80)
    except ValueError:
        return False
    return (parts.hostname.lower(), port) == ((own.hostname or "").lower(), own_port)


def check_upgrade(method: str, raw_path: str, headers: Headers, *, tls: bool,
                  max_id_length: int, require_subprotocol: bool) -> Refused | Upgrade:
    """Decide an upgrade request by its head alone (the gate decides the rest)."""
    if not raw_path.startswith(OCPP_PREFIX):
        return Refused(404, "no WebSocket endpoint here; chargers connect to /ocpp/{id}")
    try:
        charger_id, problem = charger_id_of(raw_path, max_id_length)
    except UnicodeDecodeError:
        return Refused(400, "the charge point id is not valid UTF-8", RefusalReason.BAD_ID)
    if problem:
        return Refused(400, problem, RefusalReason.BAD_ID, charger_id[:80])
    origin = header(headers, b"origin")
    if origin is not None and not origin_matches(origin, header(headers, b"host"), tls):
        return Refused(403, "a web page from another origin may not connect as a charger",
                       RefusalReason.BAD_ORIGIN, charger_id)
    problem_head = _websocket_head_problem(method, headers)
    if problem_head is not None:
        return problem_head
    offered = tokens(header(headers, b"sec-websocket-protocol"))
    chosen = choose_subprotocol(offered)
    if chosen is None and (offered or require_subprotocol):
        return Refused(400, "offers no OCPP version evfault speaks (ocpp1.6, ocpp2.0.1): "
                       + (", ".join(offered)[:200] or "none"),
                       RefusalReason.BAD_SUBPROTOCOL, charger_id)
    user, password = basic_credentials(header(headers, b"authorization"))
    key = header(headers, b"sec-websocket-key") or ""
    return Upgrade(charger_id, SUBPROTOCOLS[chosen.lower()] if chosen else "1.6", chosen,
                   accept_key(key), user, password)


def _websocket_head_problem(method: str, headers: Headers) -> Refused | None:
    if method != "GET":
        return Refused(405, "a WebSocket upgrade must be a GET request")
    connection = [t.lower() for t in tokens(header(headers, b"connection"))]
    if "upgrade" not in connection:
        return Refused(400, "the Connection header must include Upgrade")
    if header(headers, b"sec-websocket-version") != "13":
        return Refused(426, "only WebSocket version 13 is spoken here",
                       headers=(("Sec-WebSocket-Version", "13"),))
    key = header(headers, b"sec-websocket-key") or ""
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except (binascii.Error, ValueError):
        return Refused(400, "the Sec-WebSocket-Key header is missing or malformed")
    return None
