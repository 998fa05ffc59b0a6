"""Opening a log: a file (gzip told by its first bytes, not its name) or standard input."""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from evfault.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"


@contextmanager
def open_log(source: str) -> Iterator[TextIO]:
    """The text of a log; bad bytes become U+FFFD so one broken line cannot stop the run."""
    if source == "-":
        yield io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
        return
    path = Path(source)
    if not path.exists():
        raise UserError(f"There is no file {source}; give a log file, or - to read stdin.")
    if path.is_dir():
        raise UserError(f"{source} is a folder; give the log files in it, e.g. {source}/*.log.")
    try:
        with path.open("rb") as probe:
            zipped = probe.read(2) == GZIP_MAGIC
        handle = _open_text(path, zipped)
    except OSError as exc:
        raise UserError(f"Cannot read {source} ({exc.strerror or exc}).") from None
    with handle:
        yield handle


def _open_text(path: Path, zipped: bool) -> TextIO:
    if zipped:
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace")
    return path.open(encoding="utf-8-sig", errors="replace")


class SafeLines:
    """The lines of a stream that stops, instead of raising, where the file is damaged (a
    truncated .gz): `damage` then says what went wrong."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.damage: str | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            yield from self._stream
        except (OSError, EOFError, UnicodeError) as exc:
            self.damage = f"the file ends early or is damaged ({exc})"
