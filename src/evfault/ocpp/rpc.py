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

from evfault.decode import frames
from evfault.decode.frames import CALL, CALLERROR, CALLRESULT, UNKNOWN_ID, Problem


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
    MESSAGE_TYPE = "MessageTypeNotSupported"  # 2.0.1 §4.3: a message type number it does not know


_SPELLING_16 = {
    Fault.FORMAT: "FormationViolation",
    Fault.OCCURRENCE: "OccurenceConstraintViolation",
    Fault.RPC_FRAMEWORK: "FormationViolation",  # 1.6 has no RpcFrameworkError
    Fault.MESSAGE_TYPE: "FormationViolation",  # nor MessageTypeNotSupported
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


_PROBLEM_FAULTS = {
    Problem.NOT_JSON: Fault.FORMAT,
    Problem.NOT_A_FRAME: Fault.RPC_FRAMEWORK,
    Problem.UNKNOWN_TYPE: Fault.MESSAGE_TYPE,
    Problem.BAD_CALL: Fault.FORMAT,
}


def parse_frame(text: str | bytes) -> Frame:
    """Parse one incoming OCPP-J frame (with the one parser, decode/frames.py); raise RpcError
    describing what is wrong with it."""
    try:
        frame = frames.parse_text(text)
    except frames.FrameProblem as problem:
        raise RpcError(_PROBLEM_FAULTS[problem.problem], problem.description,
                       problem.message_id or UNKNOWN_ID) from None
    if frame.kind == CALL:
        return Call(frame.message_id, frame.action or "", frame.payload)
    if frame.kind == CALLRESULT:
        return CallResult(frame.message_id, frame.payload)
    return CallError(frame.message_id, frame.error_code or "", frame.error_description or "",
                     frame.payload)


def call_result(message_id: str, payload: Any) -> str:
    return orjson.dumps([CALLRESULT, message_id, payload]).decode()


def call_error(error: RpcError, version: str) -> str:
    frame = [CALLERROR, error.message_id, wire_code(error.fault, version),
             error.description[:255], error.details]
    return orjson.dumps(frame).decode()


def call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    return orjson.dumps([CALL, message_id, action, payload]).decode()
