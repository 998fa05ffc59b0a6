"""Lines of a log → one text per message, however the log lays its messages out.

A message may sit on one line (with or without a log prefix: time, direction, charger id), be
pretty-printed over several lines (as the MREC specifications show them), or a file may be one
JSON array of messages. `messages` yields each message once, numbered by the line it starts on,
so `evfault decode`, `evfault check` and `evfault analyze` read the same inputs the same way.
Pure: text in, text out.

    >>> list(messages(['[2,"1","Heartbeat",', '  {}]', 'CP-1 -> [2,"2","Heartbeat",{}]']))
    [(1, '[2,"1","Heartbeat",\\n  {}]'), (3, 'CP-1 -> [2,"2","Heartbeat",{}]')]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from evfault.decode.frames import find_json, looks_like_message

# A message pretty-printed over more lines than this, or longer than this, is not one: what was
# gathered is handed on as it is (and reported unreadable) rather than growing without bound.
MAX_MESSAGE_LINES = 2_000
MAX_MESSAGE_CHARS = 1 << 20


def messages(lines: Iterable[str], start: int = 1) -> Iterator[tuple[int, str]]:
    """(number of the line a message starts on, its text) for every message in `lines`.

    Blank lines and `#` comments between messages are skipped. A JSON array of messages
    (`[[2,"1",…],[2,"2",…]]` or `[{…},{…}]`) yields each of them.
    """
    pending: _Pending | None = None
    for number, raw in enumerate(lines, start=start):
        line = raw.rstrip("\r\n")
        text = line.strip()
        if pending is not None:
            if _whole_frame(text):  # what was open never closed: hand it on, start afresh
                yield pending.first, pending.text
                pending = None
            else:
                pending.add(line)
                if pending.done:
                    yield from _expanded(pending.first, pending.text)
                    pending = None
                continue
        if not text or text.startswith("#"):
            continue
        if _complete(text):
            yield from _expanded(number, text)
            continue
        pending = _Pending(number, text)
        if pending.done:  # nothing left open after all: a line that simply is not JSON
            yield number, text
            pending = None
    if pending is not None:
        yield pending.first, pending.text  # cut short: the reader reports what is wrong


def _complete(text: str) -> bool:
    """The line holds a whole message (the usual case: one cheap parse)."""
    try:
        orjson.loads(text)
        return True
    except orjson.JSONDecodeError:
        return find_json(text) is not None


def _whole_frame(text: str) -> bool:
    """A line that is a complete OCPP-J frame by itself; a pretty-printed message never has
    one inside it (its elements stand on lines of their own)."""
    if text[:1] != "[":
        return False
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, list) and looks_like_message(value)


def _expanded(number: int, text: str) -> Iterator[tuple[int, str]]:
    """A JSON array of messages, one by one; anything else as it is."""
    if text[:1] == "[" and text[1:].lstrip()[:1] in ("[", "{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, list) and value and all(looks_like_message(v) for v in value):
            for item in value:
                yield number, orjson.dumps(item).decode()
            return
    yield number, text


class _Pending:
    """A message still open at the end of a line: brackets counted outside strings."""

    __slots__ = ("depth", "escaped", "first", "in_string", "lines", "parts", "size", "started")

    def __init__(self, first: int, text: str) -> None:
        self.first = first
        self.parts: list[str] = []
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.started = False
        self.lines = 0
        self.size = 0
        self.add(text)

    @property
    def done(self) -> bool:
        return (self.started and self.depth <= 0) or not self.started or self._too_big

    @property
    def _too_big(self) -> bool:
        return self.lines >= MAX_MESSAGE_LINES or self.size >= MAX_MESSAGE_CHARS

    @property
    def text(self) -> str:
        return "\n".join(self.parts)

    def add(self, line: str) -> None:
        self.parts.append(line)
        self.lines += 1
        self.size += len(line) + 1
        for char in line:
            self._count(char)

    def _count(self, char: str) -> None:
        if self.in_string:
            if self.escaped:
                self.escaped = False
            elif char == "\\":
                self.escaped = True
            elif char == '"':
                self.in_string = False
        elif char == '"' and self.started:
            self.in_string = True
        elif char in "[{":
            self.started = True
            self.depth += 1
        elif char in "]}" and self.started:
            self.depth -= 1
