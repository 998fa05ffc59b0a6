"""Lines of a log → messages to check: the OCPP-J frame, and what stands in front of it.

A line may hold the frame alone or behind a log prefix with a time and a charger id
(`2024-05-01T10:00:00Z CP-17 <- [2,"1","StatusNotification",{…}]`). The time is the log's, not
the charger's, and is not checked; the charger id keeps answers paired with their calls when
several chargers share one log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from evfault.conformance import schemas
from evfault.decode import guess_action
from evfault.decode.frames import CALL, CALLERROR, CALLRESULT, Frame, FrameProblem, find_json
from evfault.decode.frames import parse_value as parse_frame

__all__ = ["CALL", "CALLERROR", "CALLRESULT", "FrameReader", "Message", "charger_id"]

_PENDING_LIMIT = 10_000  # calls waiting for their answer; a log that never answers must not grow us

# Prefix tokens that are not a charger id: dates, times, arrows and direction words.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ].*)?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?([Zz]|[+-]\d{2}:?\d{2})?$")
_NOT_AN_ID = frozenset(
    {"<-", "->", "<<", ">>", "<", ">", "=>", "<=", "in", "out", "send", "sent", "recv",
     "received", "rx", "tx", "call", "callresult", "callerror", "info", "debug", "warning",
     "error", "utc", "z", "-", "|", ":"}
)
_TRIM = "[]()<>{}:,;|\"'"


@dataclass(frozen=True, slots=True)
class Message:
    """One line to check. `problem` is set when the line holds no readable frame."""

    line: int
    raw: str
    charger_id: str | None = None
    kind: int | None = None  # CALL, CALLRESULT or CALLERROR
    message_id: str | None = None
    action: str | None = None  # a CALL's action, or the action of the CALL a CALLRESULT answers
    payload: Any = None
    version: str | None = None  # "1.6" or "2.0.1" when it can be told
    bare: bool = False  # a payload given without its frame
    problem: str | None = None
    deviations: tuple[str, ...] = ()  # the frame was read, but bends OCPP-J

    @property
    def is_request(self) -> bool:
        return self.kind == CALL

    @property
    def is_response(self) -> bool:
        return self.kind == CALLRESULT


class FrameReader:
    """Turns lines into Messages, remembering each CALL so its CALLRESULT can be checked too."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str | None, str], tuple[str, str | None]] = {}

    def read(self, lines: Iterable[tuple[int, str]]) -> Iterator[Message]:
        """A Message for every line worth checking (blank lines and # comments are skipped)."""
        for number, raw in lines:
            text = raw.strip()
            if text and not text.startswith("#"):
                yield self.message(number, text)

    def message(self, number: int, text: str) -> Message:
        found = find_json(text)
        if found is None:
            return Message(number, text, problem=_diagnose(text))
        value, prefix = found
        charger = charger_id(prefix)
        if isinstance(value, dict):
            return _bare(number, text, charger, value)
        if not isinstance(value, list):  # a line that is all JSON, but a number or a string
            return Message(number, text, charger,
                           problem=f"the line holds {_json_kind(value)}, not an OCPP-J frame")
        try:
            frame = parse_frame(value)
        except FrameProblem as problem:
            return Message(number, text, charger, problem=problem.description)
        return self._framed(number, text, charger, frame)

    def _framed(self, number: int, text: str, charger: str | None, frame: Frame) -> Message:
        kind, message_id = frame.kind, frame.message_id
        if kind == CALL:
            action = frame.action
            version = schemas.version_of(action or "", frame.payload)
            self._remember((charger, message_id), (action or "", version))
            return Message(number, text, charger, kind, message_id, action, frame.payload,
                           version)
        action, version = self._pending.pop((charger, message_id), (None, None))
        return Message(number, text, charger, kind, message_id, action, frame.payload, version,
                       deviations=frame.deviations)

    def _remember(self, key: tuple[str | None, str], value: tuple[str, str | None]) -> None:
        if len(self._pending) >= _PENDING_LIMIT:
            self._pending.pop(next(iter(self._pending)))
        self._pending[key] = value


def charger_id(prefix: str) -> str | None:
    """The charger id in a log prefix: the last token that is not a time or an arrow."""
    tokens = [t.strip(_TRIM) for t in prefix.split()]
    kept = [t for t in tokens if t and not _is_noise(t)]
    return kept[-1] if kept else None


def _is_noise(token: str) -> bool:
    return bool(_DATE.match(token) or _TIME.match(token)) or token.lower() in _NOT_AN_ID


def _bare(number: int, text: str, charger: str | None, payload: dict[str, Any]) -> Message:
    """A payload without its frame: checked as the request its keys belong to."""
    action = guess_action(payload)
    if action is None:
        return Message(
            number, text, charger,
            problem="a JSON object that is no payload the checker recognises; "
            "give whole OCPP-J frames ([2, id, action, {…}])",
        )
    version = schemas.version_of(action, payload)
    return Message(number, text, charger, CALL, None, action, payload, version, bare=True)


def _json_kind(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "a JSON literal"
    return "a JSON string" if isinstance(value, str) else "a JSON number"


def _diagnose(text: str) -> str:
    """Why a line without a recognisable frame is not one, in the words of the JSON parser."""
    start = min((i for i in (text.find("["), text.find("{")) if i >= 0), default=-1)
    if start < 0:
        return "the line holds no JSON; each line should hold one OCPP-J frame"
    try:
        value = orjson.loads(text[start:])
    except orjson.JSONDecodeError as exc:
        return f"the JSON is broken: {exc}"
    if isinstance(value, list):
        try:
            parse_frame(value)
        except FrameProblem as problem:
            return problem.description
    return "not an OCPP-J frame"
