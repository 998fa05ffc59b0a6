"""OCPP-J framing without I/O: parse incoming frames, build outgoing ones, name the errors.

A frame is a JSON array: CALL `[2, id, action, payload]`, CALLRESULT `[3, id, payload]`,
CALLERROR `[4, id, code, description, details]`. The error codes differ between versions
(1.6 spells `FormationViolation` and `OccurenceConstraintViolation`; 2.0.1 has
`FormatViolation`, `OccurrenceConstraintViolation` and `RpcFrameworkError`), so every error
is named by its meaning and spelled for the connection's version when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_MESSAGE_ID = 36  # OCPP-J: the message id is a string of at most 36 characters
UNKNOWN_ID = "-1"  # 2.0.1 §4.2.3: the id to use when the incoming one cannot be read


class Fault(StrEnum):
    """What went wrong with an incoming message, independent of the version's spelling."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL = "InternalError"
    PROTOCOL = "ProtocolError"
    SECURITY = "SecurityError"
    FORMAT = "FormatViolation"
    PROPERTY = "PropertyConstraintViolation"
    OCCURRENCE = "OccurrenceConstraintViolation"
    TYPE = "TypeConstraintViolation"
    GENERIC = "GenericError"
    RPC_FRAMEWORK = "RpcFrameworkError"


_SPELLING_16 = {
    Fault.FORMAT: "FormationViolation",
    Fault.OCCURRENCE: "OccurenceConstraintViolation",
    Fault.RPC_FRAMEWORK: "FormationViolation",  # 1.6 has no RpcFrameworkError
}


def wire_code(fault: Fault, version: str) -> str:
    """The CALLERROR errorCode for `fault` as the connection's OCPP version spells it."""
    if version == "1.6":
        return _SPELLING_16.get(fault, fault.value)
    return fault.value


@dataclass(frozen=True, slots=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    message_id: str
    payload: Any


@dataclass(frozen=True, slots=True)
class CallError:
    message_id: str
    code: str
    description: str
    details: Any = None


@dataclass(frozen=True, slots=True)
class RpcError(Exception):
    """An incoming frame the server must answer with a CALLERROR."""

    fault: Fault
    description: str
    message_id: str = UNKNOWN_ID
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.fault.value}: {self.description}"


Frame = Call | CallResult | CallError


def _message_id(frame: list[Any]) -> str:
    if len(frame) < 2 or not isinstance(frame[1], str) or not frame[1]:
        raise RpcError(Fault.RPC_FRAMEWORK, "the message id is missing or not a string")
    if len(frame[1]) > MAX_MESSAGE_ID:
        raise RpcError(Fault.RPC_FRAMEWORK, "the message id is longer than 36 characters")
    return frame[1]


def _call(frame: list[Any], message_id: str) -> Call:
    if len(frame) != 4:
        raise RpcError(Fault.FORMAT, "a CALL has exactly 4 elements", message_id)
    action, payload = frame[2], frame[3]
    if not isinstance(action, str) or not action:
        raise RpcError(Fault.FORMAT, "the action name is missing or not a string", message_id)
    if not isinstance(payload, dict):
        raise RpcError(Fault.FORMAT, "the payload must be a JSON object", message_id)
    return Call(message_id, action, payload)


def parse_frame(text: str | bytes) -> Frame:
    """Parse one incoming OCPP-J frame; raise RpcError describing what is wrong with it."""
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise RpcError(Fault.FORMAT, "the frame is not valid JSON") from None
    if not isinstance(frame, list) or not frame:
        raise RpcError(Fault.RPC_FRAMEWORK, "an OCPP-J frame must be a non-empty JSON array")
    kind = frame[0]
    message_id = _message_id(frame)
    if kind == CALL:
        return _call(frame, message_id)
    if kind == CALLRESULT and len(frame) == 3:
        return CallResult(message_id, frame[2])
    if kind == CALLERROR and len(frame) in (4, 5):
        details = frame[4] if len(frame) == 5 else None
        return CallError(message_id, str(frame[2]), str(frame[3]), details)
    raise RpcError(Fault.RPC_FRAMEWORK, f"unknown message type {kind!r}", message_id)


def call_result(message_id: str, payload: Any) -> str:
    return orjson.dumps([CALLRESULT, message_id, payload]).decode()


def call_error(error: RpcError, version: str) -> str:
    frame = [CALLERROR, error.message_id, wire_code(error.fault, version),
             error.description[:255], error.details]
    return orjson.dumps(frame).decode()


def call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return orjson.dumps([CALL, message_id, action, payload]).decode()
