"""Language tags: one resolution for the pages, the API and the command line.

A person asks for a language with a tag (`de`, `de-AT`, `pt_BR`, an Accept-Language header);
evfault answers in the closest language it has: the tag itself, then the tag with its region
(or script) dropped, then a regional variant of the same language, and English when nothing
fits. Pure functions on strings, so the CLI can use them without the web stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# RFC 5646 in the shape people and browsers actually send: a 2-3 letter language, then
# subtags of 1-8 letters or digits; `_` is accepted because locale names use it (pt_BR).
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_MAX_TAG = 35  # the longest tag RFC 5646 asks implementations to keep
_MAX_ACCEPT = 2000  # an Accept-Language longer than this is not a browser's: read only the start
_MAX_RANGES = 32


def normalize_tag(raw: str | None) -> str | None:
    """`PT_br` → `pt-BR`, `de` → `de`, `zh-hant-tw` → `zh-Hant-TW`; None when not a tag."""
    if raw is None:
        return None
    tag = raw.strip()
    if not tag or len(tag) > _MAX_TAG or not _TAG.fullmatch(tag):
        return None
    first, *rest = tag.replace("_", "-").split("-")
    return "-".join([first.lower(), *(_subtag(part) for part in rest)])


def _subtag(part: str) -> str:
    if len(part) == 2 and part.isalpha():
        return part.upper()  # a region: AT, BR
    if len(part) == 4 and part.isalpha():
        return part.title()  # a script: Hant, Latn
    return part.lower()


def base_language(tag: str) -> str:
    """The language subtag alone: `de-AT` → `de`."""
    return tag.replace("_", "-").split("-")[0].lower()


def match_language(raw: str | None, available: Iterable[str]) -> str | None:
    """The language of `available` that best answers a request for `raw`, or None.

    Exact (ignoring case), then the tag shortened subtag by subtag (de-AT → de), then a
    variant of the same language (pt → pt-BR, the first in sorted order).
    """
    tag = normalize_tag(raw)
    if tag is None:
        return None
    known = {name.lower().replace("_", "-"): name for name in available}
    parts = tag.lower().split("-")
    for end in range(len(parts), 0, -1):
        hit = known.get("-".join(parts[:end]))
        if hit is not None:
            return hit
    variants = sorted(name for key, name in known.items() if key.split("-")[0] == parts[0])
    return variants[0] if variants else None


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 and `*` left out).

    `de-AT,de;q=0.9,en;q=0.5` → [de-AT, de, en]. Ties keep the header's order; a range with a
    q-value that is not a number is ignored rather than guessed at.
    """
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:_MAX_ACCEPT].split(",")[:_MAX_RANGES]):
        tag, _, params = item.partition(";")
        quality = _quality(params)
        normalized = normalize_tag(tag)
        if normalized is not None and quality is not None and quality > 0:
            ranked.append((-quality, index, normalized))
    return [tag for _, _, tag in sorted(ranked)]


def _quality(params: str) -> float | None:
    """The q of `;q=0.8` (1 when absent); None when it is malformed or out of range."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0 <= quality <= 1 else None
    return 1.0


def negotiate(wishes: Iterable[str | None], available: Iterable[str]) -> str | None:
    """The first wish (in order of precedence) that some available language answers."""
    languages = list(available)
    for wish in wishes:
        hit = match_language(wish, languages)
        if hit is not None:
            return hit
    return None
