"""What every catalog entry must carry, and how entries must fit together.

The schema test runs these checks over the bundled data; each returns a list of problems
(one sentence each, naming the entry), empty when all is well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import DEFAULT_LANG, CatalogEntry, EntryText

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
    if text.display_requirement is not None and not text.display_requirement.strip():
        problems.append("display_requirement is empty (leave it out instead)")
    return problems


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


def catalog_problems(catalog: Catalog) -> list[str]:
    """Every problem in the catalog: per entry, then how the entries fit together."""
    return [
        *(p for entry in catalog for p in entry_problems(entry)),
        *duplicate_problems(catalog),
        *equivalence_problems(catalog),
        *pattern_problems(catalog),
        *alias_problems(catalog),
    ]
