"""Find the JSON in a line of text: a bare frame or payload, or one behind a log prefix such as
`2024-05-01T10:00:00Z CP-17 <- [2,"1","StatusNotification",{...}]`."""

from __future__ import annotations

import json

import orjson

# Brackets in a prefix ("[2024-05-01 10:00:00] [CP-17]") are tried and skipped; past this many
# the line is not worth more effort.
MAX_CANDIDATES = 16

_raw_decoder = json.JSONDecoder()


def find_json(line: str | bytes) -> tuple[object, str] | None:
    """(the JSON value on the line, the text in front of it), or None when there is none.

    A line that is all JSON is the common case and takes one orjson call; only a line with a
    prefix or trailing text pays for the scan.
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
        if _looks_like_message(value):
            return value, text[:at].replace("\ufeff", "").strip()  # a BOM is not a prefix
        start = at + 1
    return None


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


def _looks_like_message(value: object) -> bool:
    """A payload object or an OCPP-J frame; not a bracketed log field that happens to parse."""
    if isinstance(value, dict):
        return True
    return (
        isinstance(value, list)
        and len(value) >= 3
        and type(value[0]) is int
        and value[0] in (2, 3, 4)
    )
