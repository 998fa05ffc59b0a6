"""The one OCPP-J frame parser: a JSON array (or a line of text holding one) → a `Frame`.

Everything that reads a charger's messages goes through here — the server (ocpp/rpc.py), the
decoder (`evfault decode`, `POST /decode`), the conformance checker (`evfault check`) and the
log analyser — so a frame means the same thing wherever it is read. Pure: no I/O.

    >>> frame = parse_text('[2,"19","Heartbeat",{}]')
    >>> (frame.kind, frame.message_id, frame.action, frame.payload)
    (2, '19', 'Heartbeat', {})
    >>> try:
    ...     parse_text('[5,"19"]')
    ... except FrameProblem as problem:
    ...     print(problem.problem.value, problem.message_id)
    unknown-type 19

A frame the server can still answer but that bends OCPP-J (a CALLERROR without its details, a
CALLRESULT whose payload is not an object) parses, with each deviation named in
`Frame.deviations` for the conformance rules to report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

CALL, CALLRESULT, CALLERROR = 2, 3, 4
KINDS = {CALL: "CALL", CALLRESULT: "CALLRESULT", CALLERROR: "CALLERROR"}
MAX_MESSAGE_ID = 36  # OCPP-J: the message id is a string of at most 36 characters
UNKNOWN_ID = "-1"  # 2.0.1 §4.2.3: the id to use when the incoming one cannot be read

# Brackets in a log prefix ("[2024-05-01 10:00:00] [CP-17]") are tried and skipped; past this
# many the line is not worth more effort.
MAX_CANDIDATES = 16


class Problem(StrEnum):
    """Why a frame cannot be read at all; the server answers each with its own CALLERROR."""

    NOT_JSON = "not-json"  # FormatViolation
    NOT_A_FRAME = "not-a-frame"  # RpcFrameworkError: not an array, or no usable message id
    UNKNOWN_TYPE = "unknown-type"  # MessageTypeNotSupported (2.0.1)
    BAD_CALL = "bad-call"  # FormatViolation: a CALL of the wrong shape


class FrameProblem(ValueError):
    """The input is no OCPP-J frame; `description` says why in one sentence."""

    def __init__(self, problem: Problem, description: str, message_id: str | None = None,
                 kind: object = None) -> None:
        super().__init__(description)
        self.problem = problem
        self.description = description
        self.message_id = message_id  # when it could be read, so an answer can pair with it
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Frame:
    """One OCPP-J message. `action` is set on a CALL; `payload` is a CALL's or CALLRESULT's
    payload, or a CALLERROR's details."""

    kind: int
    message_id: str
    action: str | None = None
    payload: Any = None
    error_code: str | None = None
    error_description: str | None = None
    deviations: tuple[str, ...] = ()  # read anyway, but off-spec

    @property
    def is_call(self) -> bool:
        return self.kind == CALL


def parse_text(text: str | bytes) -> Frame:
    """A frame from its JSON text; FrameProblem when it is not one."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise FrameProblem(Problem.NOT_JSON, "the frame is not valid JSON") from None
    return parse_value(value)


def parse_value(value: object) -> Frame:
    """A frame from its parsed JSON; FrameProblem when it is not one."""
    if not isinstance(value, list) or not value:
        raise FrameProblem(Problem.NOT_A_FRAME,
                           "an OCPP-J frame is a non-empty JSON array, "
                           "such as [2, \"1\", \"Heartbeat\", {}]")
    kind = value[0]
    message_id = _message_id(value)
    if type(kind) is not int or kind not in KINDS:
        raise FrameProblem(Problem.UNKNOWN_TYPE,
                           f"the message type {_show(kind)} is not 2 (CALL), 3 (CALLRESULT) "
                           "or 4 (CALLERROR)", message_id, kind)
    if kind == CALL:
        return _call(value, message_id)
    if kind == CALLRESULT:
        return _result(value, message_id)
    return _error(value, message_id)


def _message_id(frame: list[Any]) -> str:
    message_id = frame[1] if len(frame) > 1 else None
    if not isinstance(message_id, str) or not message_id:
        raise FrameProblem(Problem.NOT_A_FRAME,
                           f"the message id {_show(message_id)} is not a non-empty string",
                           kind=frame[0])
    if len(message_id) > MAX_MESSAGE_ID:
        raise FrameProblem(Problem.NOT_A_FRAME,
                           f"the message id has {len(message_id)} characters; OCPP-J allows "
                           f"{MAX_MESSAGE_ID}", kind=frame[0])
    return message_id


def _call(frame: list[Any], message_id: str) -> Frame:
    if len(frame) != 4:
        raise FrameProblem(Problem.BAD_CALL,
                           f"a CALL has 4 elements, not {len(frame)}", message_id, CALL)
    action, payload = frame[2], frame[3]
    if not isinstance(action, str) or not action:
        raise FrameProblem(Problem.BAD_CALL,
                           f"the action {_show(action)} is not a non-empty string",
                           message_id, CALL)
    if not isinstance(payload, dict):
        raise FrameProblem(Problem.BAD_CALL, "the payload of a CALL is a JSON object",
                           message_id, CALL)
    return Frame(CALL, message_id, action, payload)


def _result(frame: list[Any], message_id: str) -> Frame:
    if len(frame) != 3:
        raise FrameProblem(Problem.NOT_A_FRAME,
                           f"a CALLRESULT has 3 elements, not {len(frame)}", message_id,
                           CALLRESULT)
    payload = frame[2]
    deviations = () if isinstance(payload, dict) else (
        "the payload of a CALLRESULT is a JSON object",)
    return Frame(CALLRESULT, message_id, payload=payload, deviations=deviations)


def _error(frame: list[Any], message_id: str) -> Frame:
    if len(frame) not in (4, 5):
        raise FrameProblem(Problem.NOT_A_FRAME,
                           f"a CALLERROR has 5 elements, not {len(frame)}", message_id,
                           CALLERROR)
    deviations = []
    if len(frame) == 4:
        deviations.append("a CALLERROR has 5 elements; this one has no error details")
    code, description = frame[2], frame[3]
    if not (isinstance(code, str) and isinstance(description, str)):
        deviations.append("a CALLERROR carries an error code and a description, both strings")
    details = frame[4] if len(frame) == 5 else None
    if len(frame) == 5 and not isinstance(details, dict):
        deviations.append("the error details of a CALLERROR are a JSON object")
    return Frame(CALLERROR, message_id, payload=details, error_code=str(code),
                 error_description=str(description), deviations=tuple(deviations))


# ---- frames inside text: a log line ----------------------------------------------------------

_raw_decoder = json.JSONDecoder()


def find_json(line: str | bytes) -> tuple[object, str] | None:
    """(the JSON value on a line, the text in front of it), or None when there is none.

    The value is a frame or a payload, alone or behind a log prefix such as
    `2024-05-01T10:00:00Z CP-17 <- [2,"1","StatusNotification",{...}]`. A line that is all JSON
    is the common case and takes one orjson call; only a line with a prefix or trailing text
    pays for the scan.
    """
    try:
        return _unwrap(orjson.loads(line)), ""
    except orjson.JSONDecodeError:
        pass
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    start = 0
    for _ in range(MAX_CANDIDATES):
        at = _next_opening(text, start)
        if at < 0:
            return None
        value = _parse_at(text, at)
        if looks_like_message(value):
            return value, text[:at].replace("\ufeff", "").strip()  # a BOM is not a prefix
        start = at + 1
    return None


def looks_like_message(value: object) -> bool:
    """A payload object or an OCPP-J frame; not a bracketed log field that happens to parse."""
    if isinstance(value, dict):
        return True
    return (
        isinstance(value, list)
        and len(value) >= 3
        and type(value[0]) is int
        and value[0] in KINDS
    )


def _unwrap(value: object) -> object:
    """A frame logged as a JSON string ("[2,\\"1\\",...]") is read once more."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _next_opening(text: str, start: int) -> int:
    square = text.find("[", start)
    curly = text.find("{", start)
    if square < 0 or (0 <= curly < square):
        return curly
    return square


def _parse_at(text: str, at: int) -> object:
    """The JSON value starting at `at`, allowing text after it (a log's trailing note)."""
    try:
        return orjson.loads(text[at:])
    except orjson.JSONDecodeError:
        pass
    try:
        value, _ = _raw_decoder.raw_decode(text, at)
    except (ValueError, RecursionError):
        return None
    return value


def _show(value: object, limit: int = 40) -> str:
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
