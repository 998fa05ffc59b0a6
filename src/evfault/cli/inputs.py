"""The input of `evfault decode` and `evfault check`: a file (plain or .gz) or standard input, read
as text and split into messages by decode/logs.py — so both commands read exactly the same inputs.

Bad bytes in a log must not stop a run: they become U+FFFD and the message is still read. A
person's mistake (no such file, a folder, a .gz that is not gzip or is cut short) is a UserError.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from evfault.decode.logs import messages
from evfault.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"


@contextlib.contextmanager
def open_messages(source: str) -> Iterator[Iterator[tuple[int, str]]]:
    """(line number, message text) for every message of a file, a .gz or stdin (`-`)."""
    with open_text(source) as handle:
        yield _not_empty(messages(_guarded(handle, _name(source))), _name(source))


def _not_empty(found: Iterator[tuple[int, str]], name: str) -> Iterator[tuple[int, str]]:
    """The messages; none at all (an empty file, nothing piped) is said, not passed silently."""
    empty = True
    for item in found:
        empty = False
        yield item
    if empty:
        raise UserError(f"{name} holds no OCPP-J frames; give one per line (or pretty-printed, "
                        "or a JSON array of them).")


@contextlib.contextmanager
def open_text(source: str) -> Iterator[TextIO]:
    """The text of a file (gzip when it starts like one) or of stdin."""
    if source == "-":
        yield _stdin()
        return
    path = Path(source)
    if not path.exists():
        raise UserError(f"There is no file {source}; give a log file, or - to read stdin.")
    if path.is_dir():
        raise UserError(f"{source} is a folder; give one log file, or - to read stdin.")
    try:
        handle = _open(path)
    except OSError as exc:
        raise UserError(f"Cannot read {source} ({exc.strerror or exc}).") from None
    with handle:
        yield handle


def _open(path: Path) -> TextIO:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace")
    if path.suffix == ".gz" and magic:
        raise UserError(f"{path} is named .gz but is not gzip-compressed; rename it or "
                        "give the uncompressed file.")
    return path.open(encoding="utf-8-sig", errors="replace")


def _stdin() -> TextIO:
    # A terminal with nothing piped: a person would wait for output that never comes.
    if getattr(sys.stdin, "isatty", bool)():
        raise UserError("nothing is piped in and a terminal is no log; give a log file, or "
                        "pipe frames in (cat charger.log | evfault COMMAND -).")
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a test runner's stand-in: already text
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="replace")


def _guarded(lines: Iterable[str], name: str) -> Iterator[str]:
    """The lines, with a damaged .gz reported as one sentence instead of a traceback."""
    try:
        yield from lines
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise UserError(f"{name} is a damaged or truncated gzip file; give an intact "
                        "copy, or the uncompressed log.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {name} ({exc.strerror or exc}).") from None


def _name(source: str) -> str:
    return "standard input" if source == "-" else source
