"""What every catalog entry must carry, and how entries must fit together.

The schema test runs these checks over the bundled data; each returns a list of problems
(one sentence each, naming the entry), empty when all is well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import DEFAULT_LANG, LIST_FIELDS, TEXT_FIELDS, CatalogEntry, EntryText

# The languages every text must be written in (issue 13). Readers fall back to English, so a
# language may ship before it is complete; it joins REQUIRED_LANGUAGES, and from then on the
# completeness test holds it to every field of every entry, once all its texts are in.
ALL_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")
REQUIRED_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")

DISPLAY_TEXT_MAX = 200  # characters: what a charger's own small screen can show at once

# Words that stay the same in every language: codes, protocol and product names, units. A
# translated text may equal the English one only if nothing else is left in it.
_KEEP = re.compile(
    r"`[^`]*`"  # identifiers quoted in the text: `info`, `vendorErrorCode`
    r"|\{\w+\}"  # a value a page fills in: {code}
    r"|\b(?:OCPP|MREC|EVgo|ChargeX|NEVI|RFID|CHAdeMO|CCS|EVSE|EV|IMD|ISO|IEC|SAE|J1772|UTC|API|JSON"
    r"|VDC|VAC|kW|kWh|V|A|Hz|Ω|µF|°C|ms|s|min|h|OK)\b"
    r"|\b[A-Z]{1,3}-?\d{2,4}\b"  # F001, CX011, E-042
    r"|\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b"  # OCPP names: GroundFailure, SuspendedEVSE
    r"|[\d.,:;/()+\-–—<>=≤≥%\s]+"
)

CLASSIFICATIONS = frozenset(
    {"safety", "maintenance", "security", "financial", "authorization", "operational"}
)
RESPONSIBILITIES = frozenset({"EV User", "CSO", "EVSE", "EV"})
CATEGORIES = frozenset(
    {
        "vehicle",
        "connector",
        "cable",
        "electrical",
        "thermal",
        "communication",
        "authorization",
        "internal",
        "network",
        "metering",
        "safety-equipment",
        "status",
        "protocol",
        "platform",
    }
)


def entry_problems(entry: CatalogEntry) -> list[str]:
    """Missing or malformed fields of one entry, in every language it has."""
    problems = [*_fact_problems(entry), *_source_problems(entry)]
    if DEFAULT_LANG not in entry.texts:
        problems.append(f"has no '{DEFAULT_LANG}' text")
    for lang, text in entry.texts.items():
        problems.extend(f"[{lang}] {p}" for p in text_problems(text))
    return [f"{entry.ref}: {p}" for p in problems]


def text_problems(text: EntryText) -> list[str]:
    problems = [
        f"{name} is empty" for name in ("title", "summary") if not getattr(text, name).strip()
    ]
    for name in ("driver_now", "driver_next", "operator_steps"):
        steps: tuple[str, ...] = getattr(text, name)
        if not steps:
            problems.append(f"{name} has no steps")
        elif not all(step.strip() for step in steps):
            problems.append(f"{name} has an empty step")
    for name in ("display_requirement", "display_text"):
        value = getattr(text, name)
        if value is not None and not value.strip():
            problems.append(f"{name} is empty (leave it out instead)")
    if (text.display_requirement is None) != (text.display_text is None):
        problems.append("display_requirement and display_text come together: give both or neither")
    if text.display_text is not None and len(text.display_text) > DISPLAY_TEXT_MAX:
        problems.append(f"display_text is longer than {DISPLAY_TEXT_MAX} characters")
    return problems


# ---- translations ------------------------------------------------------------------------------


def translation_problems(
    entry: CatalogEntry, languages: Iterable[str] = REQUIRED_LANGUAGES
) -> list[str]:
    """Fields of an entry not yet translated into each of `languages`, or still in English."""
    english = entry.texts.get(DEFAULT_LANG)
    if english is None:
        return [f"{entry.ref}: has no '{DEFAULT_LANG}' text"]
    problems: list[str] = []
    for lang in languages:
        if lang == DEFAULT_LANG:
            continue
        if lang not in entry.texts:
            problems.append(f"has no '{lang}' text")
            continue
        gaps = entry.text_gaps.get(lang, frozenset())
        missing = (name for name in TEXT_FIELDS if name in gaps)
        problems.extend(f"[{lang}] {name} is not translated" for name in missing)
        problems.extend(
            f"[{lang}] {p}" for p in _still_english(entry.texts[lang], english, gaps)
        )
    return [f"{entry.ref}: {p}" for p in problems]


def _still_english(text: EntryText, english: EntryText, gaps: frozenset[str]) -> list[str]:
    problems: list[str] = []
    for name in TEXT_FIELDS:
        if name in gaps:
            continue
        ours, theirs = getattr(text, name), getattr(english, name)
        if name in LIST_FIELDS:
            if len(ours) != len(theirs):
                problems.append(f"{name} has {len(ours)} steps where English has {len(theirs)}")
            problems.extend(
                f"{name} step {n} is still the English text"
                for n, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1)
                if a.strip() == b.strip() and not may_stay_english(a)
            )
        elif theirs is None and ours is not None:
            problems.append(f"{name} is given, but the English text has none")
        elif (
            ours is not None
            and ours.strip() == (theirs or "").strip()
            and not may_stay_english(ours)
        ):
            problems.append(f"{name} is still the English text")
    return problems


def may_stay_english(text: str) -> bool:
    """Whether a text holds nothing but codes, names and units, so it reads the same everywhere."""
    return not any(ch.isalpha() for ch in _KEEP.sub(" ", text))


def _fact_problems(entry: CatalogEntry) -> list[str]:
    problems: list[str] = []
    if entry.category not in CATEGORIES:
        problems.append(f"category {entry.category!r} is not one of {sorted(CATEGORIES)}")
    if not entry.classification:
        problems.append("classification is empty")
    if unknown := set(entry.classification) - CLASSIFICATIONS:
        problems.append(f"classification {sorted(unknown)} not in {sorted(CLASSIFICATIONS)}")
    if unknown := set(entry.responsibility) - RESPONSIBILITIES:
        problems.append(f"responsibility {sorted(unknown)} not in {sorted(RESPONSIBILITIES)}")
    return problems


def _source_problems(entry: CatalogEntry) -> list[str]:
    source = entry.source
    problems = [
        f"source {name} is empty"
        for name in ("standard", "version")
        if not getattr(source, name).strip()
    ]
    if source.url and not source.url.startswith(("https://", "http://")):
        problems.append(f"source url {source.url!r} is not a web address")
    return problems


def equivalence_problems(catalog: Catalog) -> list[str]:
    """Equivalents that name no entry, or that the other entry does not name back."""
    problems: list[str] = []
    for entry in catalog:
        for ref in entry.equivalents:
            others = catalog.resolve(ref) if ":" in ref else []
            if len(others) != 1:
                problems.append(f"{entry.ref}: equivalent {ref!r} names no entry")
            elif entry.ref not in others[0].equivalents:
                problems.append(f"{entry.ref}: {ref} does not list it back as equivalent")
    return problems


def pattern_problems(catalog: Catalog) -> list[str]:
    """Codes that do not match their scheme's code_pattern."""
    problems: list[str] = []
    for scheme in catalog.schemes.values():
        if scheme.code_pattern is None:
            continue
        pattern = re.compile(scheme.code_pattern)
        problems.extend(
            f"{e.ref}: does not match {scheme.code_pattern!r}"
            for e in catalog.in_scheme(scheme.name)
            if not pattern.fullmatch(e.code)
        )
    return problems


def duplicate_problems(entries: Iterable[CatalogEntry]) -> list[str]:
    """(scheme, code) pairs that appear more than once (codes compare case-insensitively)."""
    seen: set[tuple[str, str]] = set()
    problems: list[str] = []
    for entry in entries:
        key = (entry.scheme, entry.code.upper())
        if key in seen:
            problems.append(f"{entry.ref}: appears more than once")
        seen.add(key)
    return problems


def alias_problems(catalog: Catalog) -> list[str]:
    """Aliases that also name another entry, so looking them up would be ambiguous."""
    problems: list[str] = []
    for entry in catalog:
        for alias in entry.aliases:
            others = [e.ref for e in catalog.candidates(alias) if e is not entry]
            if others:
                problems.append(f"{entry.ref}: alias {alias!r} also names {', '.join(others)}")
    return problems


def catalog_problems(
    catalog: Catalog, languages: Iterable[str] = REQUIRED_LANGUAGES
) -> list[str]:
    """Every problem in the catalog: per entry, its translations, how the entries fit together."""
    return [
        *(p for entry in catalog for p in entry_problems(entry)),
        *(p for entry in catalog for p in translation_problems(entry, languages)),
        *duplicate_problems(catalog),
        *equivalence_problems(catalog),
        *pattern_problems(catalog),
        *alias_problems(catalog),
    ]
