"""Text as the pages show it: catalog Markdown rendered safely, readings as the charger wrote
them, a source's edition without its standard's number twice, the pill beside an error."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML off: catalog text can format (`code`, *emphasis*, links) but
    # never inject markup.
    return MarkdownIt("commonmark", {"html": False})


@lru_cache(maxsize=4096)
def inline_markdown(text: str) -> Markup:
    """One line of catalog text (a step, a summary) with its inline Markdown rendered."""
    return Markup(_markdown().renderInline(text))


_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")


def reading_as_sent(info: str | None, value: float) -> str:
    """The reading as the charger wrote it in `info` (`5.00` stays `5.00`), or plainly."""
    for token in _NUMBER.findall(info or ""):
        try:
            if float(token) == value:
                return str(token).lstrip("+")
        except ValueError:  # pragma: no cover - the pattern only matches numbers
            continue
    return f"{value:g}"


def edition(standard: str, version: str | None) -> str:
    """The version a source line shows after its standard, without repeating the standard's
    own number: `Open Charge Point Protocol 1.6` + `1.6 edition 2` → `edition 2`."""
    if not version:
        return ""
    last = standard.split()[-1] if standard.split() else ""
    if version == last:
        return ""
    if last and version.startswith(last + " "):
        return version[len(last) + 1:]
    return version


# What the pill beside an error reported with a non-Faulted status says: charging goes on, but a
# critical fault is no reassurance.
PILLS = {
    "critical": ("still charging: check now", "tag tag-critical"),
    "warning": ("charging possible", "tag"),
    "info": ("charging possible", "tag"),
}


def pill(severity: str) -> tuple[str, str]:
    """(words, CSS classes) of the pill beside a warning-only error of this severity."""
    return PILLS.get(severity, PILLS["warning"])
