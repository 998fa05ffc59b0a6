"""What a log reader yields, and how one line with a prefix in front of its frame is read.

A prefix may carry a time (ISO 8601 with `T` or a space, `,` or `.` before the fraction, a zone
or none — read as UTC; or Unix seconds / milliseconds), a charger id (`CP-17`, SteVe's
`chargeBoxId=CP-17`, the `ocpp` package's `CP-17: receive message`) and a direction
(`<-`, `received`, `receive message` for frames from the charger; `->`, `sending`, `send` for
frames to it). Frames whose direction is not said are sorted out later by their action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from evfault.conformance.frames import charger_id as prefix_charger_id
from evfault.decode.frames import find_json

IN, OUT = "in", "out"


@dataclass(frozen=True, slots=True)
class Frame:
    """One OCPP-J frame as logged."""

    line: int
    text: str  # the frame's JSON text, as the wire carried it
    at: datetime | None = None
    charger_id: str | None = None
    direction: str | None = None  # IN (from the charger), OUT, or None when the log is silent
    value: Any = None  # the frame already parsed, when the reader had to (else read `text`)


@dataclass(frozen=True, slots=True)
class Link:
    """A charger's connection opened (online) or its going offline was recorded."""

    line: int
    at: datetime
    charger_id: str
    online: bool


@dataclass(frozen=True, slots=True)
class Header:
    """What an `evfault export` file says about itself: each charger's OCPP version."""

    line: int
    protocols: dict[str, str]


@dataclass(frozen=True, slots=True)
class Excluded:
    """An operator's exclusion of an outage, as an `evfault export` carries it."""

    line: int
    outage_id: str
    reason: int
    notes: str


@dataclass(frozen=True, slots=True)
class Unreadable:
    line: int
    reason: str


Record = Frame | Link | Header | Excluded | Unreadable

_KINDS = ("2", "3", "4")
_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2}|UTC)?",
    re.IGNORECASE)
_EPOCH = re.compile(r"(?<![\d.])(\d{10}(?:\.\d+)?|\d{13})(?![\d])")
_STEVE_ID = re.compile(r"chargeBoxId=([^,\]\s]+)")
_OCPP_PKG = re.compile(r"([^\s:]+):\s+(receive message|send)\s*$")
_IN_WORDS = re.compile(r"(<-|<<|\breceived?\b|\brecv\b|\brx\b|\bincoming\b|\bin\b)", re.I)
_OUT_WORDS = re.compile(r"(->|>>|\bsending\b|\bsend\b|\bsent\b|\btx\b|\boutgoing\b|\bout\b)",
                        re.I)


def parse_time(text: str) -> datetime | None:
    """The first time written in the text (naive times are UTC), or None."""
    if len(text) >= 20 and text[-1] == "Z" and text[10] == "T":  # ISO 8601 UTC: the usual
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    match = _ISO.search(text)
    if match is not None:
        day, clock, fraction, zone = match.groups()
        micro = (fraction or "0")[:6].ljust(6, "0")
        offset = "+00:00" if zone is None or zone.upper() in ("Z", "UTC") else zone
        if len(offset) == 5:
            offset = f"{offset[:3]}:{offset[3:]}"
        try:
            return datetime.fromisoformat(f"{day}T{clock}.{micro}{offset}").astimezone(UTC)
        except ValueError:
            return None
    epoch = _EPOCH.search(text)
    if epoch is not None:
        value = float(epoch[1])
        if len(epoch[1]) == 13:
            value /= 1000
        return datetime.fromtimestamp(value, UTC)
    return None


def direction_of(prefix: str) -> str | None:
    if _OCPP_PKG.search(prefix):
        return IN if "receive" in prefix.lower().rsplit(":", 1)[-1] else OUT
    if _IN_WORDS.search(prefix):
        return IN
    if _OUT_WORDS.search(prefix):
        return OUT
    return None


def charger_of(prefix: str) -> str | None:
    steve = _STEVE_ID.search(prefix)
    if steve is not None:
        return steve[1]
    package = _OCPP_PKG.search(prefix)
    if package is not None:
        return package[1]
    without_time = _EPOCH.sub(" ", _ISO.sub(" ", prefix))
    return prefix_charger_id(without_time)


def read_line(number: int, raw: str) -> Frame | Unreadable | None:
    """One line of a frame-per-line log (None for blank lines and # comments)."""
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    if text[:1] == "[" and text[1:2] in _KINDS and text[2:3] == ",":  # a bare frame: cheap
        return Frame(number, text)
    found = find_json(text)
    if found is None:
        return Unreadable(number, "no OCPP-J frame on the line")
    value, prefix = found
    if isinstance(value, dict):
        return _wrapped(number, value, prefix)
    if not isinstance(value, list):
        return Unreadable(number, "the JSON on the line is not an OCPP-J frame")
    return Frame(number, orjson.dumps(value).decode(), parse_time(prefix) if prefix else None,
                 charger_of(prefix) if prefix else None,
                 direction_of(prefix) if prefix else None)


def _wrapped(number: int, value: dict[str, object], prefix: str) -> Frame | Unreadable:
    """ocpp-lens's wrapped objects and kWwhat's JSON rows: {"timestamp", "message"|"msg", …}."""
    message = _first(value, _MESSAGE_KEYS)
    if isinstance(message, str):
        text = message
    elif isinstance(message, list):
        text = ""  # serialised only if it is handled: answers are passed over unread
    else:
        return Unreadable(number, "a JSON object with no OCPP-J frame in it")
    stamp, charger = _first(value, _TIME_KEYS), _first(value, _CHARGER_KEYS)
    at = parse_time(str(stamp)) if stamp is not None else None
    if charger is None and prefix:
        charger = charger_of(prefix)
    return Frame(number, text.strip(), at if at or not prefix else parse_time(prefix),
                 None if charger is None else str(charger), _direction_word(value.get("direction")),
                 message if isinstance(message, list) else None)


_MESSAGE_KEYS = ("message", "msg", "frame", "raw", "payload")
_TIME_KEYS = ("timestamp", "ingested_timestamp", "time", "at", "ts")
_CHARGER_KEYS = ("charger_id", "chargeBoxId", "id", "charge_point_id")


def _first(value: dict[str, object], keys: tuple[str, ...]) -> object:
    for key in keys:
        found = value.get(key)
        if found is not None:
            return found
    return None


def _direction_word(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return direction_of(value) or (IN if value.lower() in ("in", "rx") else None)
