"""The log formats `evfault analyze` reads, told apart by their first lines.

- `evfault`: what `evfault export` writes: a header line, then one JSON object per frame or
  connection change.
- `lines`: one frame per line, with or without a prefix (SteVe, the `ocpp` package's log,
  `[time] id <- frame`, ocpp-lens's timestamped and wrapped-object lines, plain JSON lines).
- `csv`: kWwhat's CSV (`timestamp,id,action,msg`), or any CSV with a time, a charger and a
  frame column.
- `json-array`: one JSON array of frames (ocpp-lens), read a chunk at a time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

import orjson

from evfault.logs.records import (
    Excluded,
    Frame,
    Header,
    Link,
    Record,
    Unreadable,
    charger_of,
    direction_of,
    parse_time,
    read_line,
)

FORMATS = ("auto", "evfault", "lines", "csv", "json-array")
EXPORT_FORMAT = "evfault-export"
_CSV_TIME = ("timestamp", "ingested_timestamp", "time", "at", "date", "datetime")
_CSV_CHARGER = ("id", "charger_id", "chargeboxid", "charge_point_id", "cp_id", "charger")
_CSV_FRAME = ("msg", "message", "frame", "raw", "payload")
_CHUNK = 1 << 20


def detect(first: str) -> str:
    """The format of a log whose first non-blank line is `first`."""
    text = first.strip().lstrip("\ufeff")
    if text.startswith("{") and EXPORT_FORMAT in text[:200]:
        return "evfault"
    if text in ("[", "[[") or text.startswith("[[") or (
            text.startswith("[") and text.endswith(",")):
        return "json-array"
    lowered = [c.strip().strip('"').lower() for c in text.split(",")]
    if any(c in _CSV_FRAME for c in lowered) and any(c in _CSV_TIME for c in lowered):
        return "csv"
    return "lines"


def read_records(stream: Iterable[str], fmt: str = "auto") -> Iterator[Record]:
    """Every record of a log, streamed; `fmt` one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"--format is one of {', '.join(FORMATS)}, not {fmt!r}.")
    first = ""
    lines: Iterator[str] = iter(stream)
    for line in lines:
        if line.strip():
            first = line
            break
    if not first:
        return
    if fmt == "auto":
        fmt = detect(first)
    rest = chain([first], lines)
    if fmt == "evfault":
        yield from _export(rest)
    elif fmt == "csv":
        yield from _csv(rest)
    elif fmt == "json-array":
        yield from _array(rest)
    else:
        for number, line in enumerate(rest, start=1):
            record = read_line(number, line)
            if record is not None:
                yield record


# ---- evfault export -------------------------------------------------------------------------


def _export(lines: Iterator[str]) -> Iterator[Record]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
            yield _export_row(number, row)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            yield Unreadable(number, "not a line of an evfault export")


def _export_row(number: int, row: dict[str, Any]) -> Record:
    if "frame" in row:
        at = parse_time(row["at"])
        if at is None:
            raise ValueError("no time")
        return Frame(number, row["frame"], at, row["charger"], row.get("dir"))
    if "online" in row:
        at = parse_time(row["at"])
        if at is None:
            raise ValueError("no time")
        return Link(number, at, row["charger"], bool(row["online"]))
    if "outage" in row:
        return Excluded(number, str(row["outage"]), int(row["reason"]), str(row.get("notes", "")))
    if row.get("format") == EXPORT_FORMAT:
        return Header(number, dict(row.get("chargers") or {}))
    raise ValueError("unknown row")


# ---- CSV (kWwhat) -----------------------------------------------------------------------------


def _csv(lines: Iterator[str]) -> Iterator[Record]:
    reader = csv.reader(lines)
    try:
        header = [c.strip().lower().lstrip("\ufeff") for c in next(reader, [])]
    except csv.Error:
        yield Unreadable(1, "the CSV header cannot be read")
        return
    at_col = _column(header, _CSV_TIME)
    id_col = _column(header, _CSV_CHARGER)
    frame_col = _column(header, _CSV_FRAME)
    dir_col = _column(header, ("direction", "dir"))
    for number, row in _rows(reader):
        if not row or not any(cell.strip() for cell in row):
            continue
        if frame_col is None or frame_col >= len(row):
            yield Unreadable(number, "the row has no frame column")
            continue
        text = row[frame_col].strip()
        if not text.startswith("["):
            yield Unreadable(number, "the frame column holds no OCPP-J frame")
            continue
        stamp = row[at_col] if at_col is not None and at_col < len(row) else ""
        charger = row[id_col].strip() if id_col is not None and id_col < len(row) else ""
        direction = row[dir_col] if dir_col is not None and dir_col < len(row) else ""
        yield Frame(number, text, parse_time(stamp) if stamp else None, charger or None,
                    direction_of(direction) if direction else None)


def _rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) per row; a row the CSV reader chokes on is given as no cells."""
    number = 1
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            row = ["\x00"]  # reported below as a row without a frame
        yield number, row


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((i for i, name in enumerate(header) if name in names), None)


# ---- one JSON array -------------------------------------------------------------------------


def _array(lines: Iterator[str]) -> Iterator[Record]:
    """Elements of `[frame, frame, …]` decoded one at a time from a rolling buffer."""
    decoder = json.JSONDecoder()
    buffer, number, started, ended = "", 0, False, False
    source = iter(lines)
    while not ended:
        chunk = "".join(_take(source, _CHUNK))
        exhausted = not chunk
        buffer += chunk
        position = 0
        while True:
            position = _skip(buffer, position)
            if not started:
                if position < len(buffer) and buffer[position] == "[":
                    started, position = True, position + 1
                    continue
                if position < len(buffer):
                    yield Unreadable(1, "the file does not start with a JSON array")
                    return
                break
            if position < len(buffer) and buffer[position] == "]":
                ended = True
                break
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError:
                if exhausted:
                    yield Unreadable(number + 1, "the JSON array is cut short or broken")
                    return
                break  # the element goes on in the next chunk
            number += 1
            position = end
            yield _element(number, value)
        buffer = buffer[position:]
        if exhausted:
            break


def _take(source: Iterator[str], size: int) -> Iterator[str]:
    taken = 0
    for line in source:
        yield line
        taken += len(line)
        if taken >= size:
            return


def _skip(buffer: str, position: int) -> int:
    while position < len(buffer) and buffer[position] in " \t\r\n,":
        position += 1
    return position


def _element(number: int, value: object) -> Record:
    if isinstance(value, list):
        return Frame(number, orjson.dumps(value).decode())
    if isinstance(value, dict):
        message = value.get("message", value.get("msg"))
        if isinstance(message, list | str):
            text = message if isinstance(message, str) else orjson.dumps(message).decode()
            stamp = value.get("timestamp")
            charger = value.get("charger_id") or value.get("id")
            return Frame(number, text, parse_time(str(stamp)) if stamp else None,
                         str(charger) if charger else None)
    return Unreadable(number, "an element of the array is not an OCPP-J frame")


__all__ = ["FORMATS", "charger_of", "detect", "read_records"]
