"""Load the catalog data files (one YAML file per scheme) into typed entries.

Texts in languages other than English come from `data/text/<lang>/` (see texts.py), read when
a language is first asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evfault.catalog.langs import normalize_tag
from evfault.catalog.model import (
    COMPARISONS,
    DEFAULT_LANG,
    CatalogEntry,
    Kind,
    Measurement,
    Scheme,
    Severity,
    Source,
)
from evfault.catalog.texts import (
    CatalogDataError,
    EntryTexts,
    Texted,
    TextGaps,
    Translations,
    over_english,
    parse_english,
    strings,
    translation_files,
)

__all__ = ["CatalogDataError", "data_files", "load_all", "load_file", "parse_document"]

try:  # the C loader is several times faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


def data_files() -> list[Path]:
    """The bundled data files, in a stable order."""
    folder = resources.files("evfault.catalog") / "data"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_file(path: Path) -> tuple[Scheme, list[CatalogEntry]]:
    """One data file with its translations: its scheme and entries; any problem is a
    CatalogDataError naming the file (a translation's problems show when its language is read)."""
    try:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogDataError(f"{path.name}: cannot be read as YAML ({_one_line(exc)})") from exc
    if not isinstance(doc, dict):
        raise CatalogDataError(f"{path.name}: the file must hold a mapping")
    return parse_document(doc, origin=path.name, translation_paths=translation_files(path))


def parse_document(
    doc: Mapping[str, Any], origin: str, translation_paths: Mapping[str, Path] | None = None
) -> tuple[Scheme, list[CatalogEntry]]:
    """A parsed data file → its scheme and entries; `origin` names the file in error messages,
    `translation_paths` are the files (by language) holding its other languages."""
    try:
        scheme = _scheme(doc)
        raw_entries = doc["entries"]
        if not isinstance(raw_entries, list):
            raise TypeError("'entries' must be a list")
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogDataError(f"{origin}: {_describe(exc)}") from exc
    translations = Translations(scheme.name, translation_paths or {})
    entries = [
        _checked_entry(raw, scheme, origin, i, translations) for i, raw in enumerate(raw_entries)
    ]
    _reject_duplicates(entries, origin)
    return scheme, entries


def _checked_entry(
    raw: Any, scheme: Scheme, origin: str, index: int, translations: Translations
) -> CatalogEntry:
    where = f"entry {raw.get('code')}" if isinstance(raw, dict) else f"entry #{index + 1}"
    try:
        if not isinstance(raw, dict):
            raise TypeError("an entry must be a mapping")
        return _entry(raw, scheme, translations)
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogDataError(f"{origin}: {where}: {_describe(exc)}") from exc


def _reject_duplicates(entries: Iterable[CatalogEntry], origin: str) -> None:
    seen: set[str] = set()
    for entry in entries:
        key = entry.code.upper()
        if key in seen:
            raise CatalogDataError(f"{origin}: code {entry.code} appears more than once")
        seen.add(key)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return _one_line(exc)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def _source(raw: Mapping[str, Any]) -> Source:
    return Source(standard=str(raw["standard"]), version=str(raw["version"]), url=str(raw["url"]))


def _scheme(doc: Mapping[str, Any]) -> Scheme:
    return Scheme(
        name=str(doc["scheme"]),
        title=str(doc["title"]),
        vendor_ids=tuple(doc.get("vendor_ids") or ()),
        source=_source(doc["source"]),
        code_pattern=_pattern(doc.get("code_pattern")),
        charge_point_vendors=strings(doc.get("charge_point_vendors"), "charge_point_vendors"),
    )


def _pattern(raw: Any) -> str | None:
    if raw is None:
        return None
    try:
        re.compile(str(raw))
    except re.error as exc:
        raise ValueError(f"code_pattern {raw!r} is not a valid regular expression: {exc}") from exc
    return str(raw)


def _optional(raw: Mapping[str, Any], name: str, kind: type) -> Any:
    """An optional scalar of exactly this type (a YAML `yes` is a bool, never an int)."""
    value = raw.get(name)
    if value is not None and type(value) is not kind:
        raise TypeError(f"{name!r} must be a {kind.__name__} or left out")
    return value


def _texts(raw: Any, code: str, translations: Translations) -> EntryTexts:
    """The inline texts (English, and any language a vendor keeps in the same file), joined to
    the scheme's translation files."""
    if not isinstance(raw, Mapping) or not raw:
        raise TypeError("'text' must map at least one language code (en, de, …) to its texts")
    by_lang = {_lang_key(lang): value for lang, value in raw.items()}
    if DEFAULT_LANG not in by_lang:
        raise ValueError(f"'text' has no '{DEFAULT_LANG}' texts, the ones others fall back to")
    english = parse_english(by_lang[DEFAULT_LANG])
    inline: dict[str, Texted] = {DEFAULT_LANG: (english, frozenset())}
    for lang, value in by_lang.items():
        if lang != DEFAULT_LANG:
            inline[lang] = over_english(value, english)
    translations.english[code.upper()] = english
    translations.inline[code.upper()] = frozenset(inline)
    return EntryTexts(code, inline, translations)


def _lang_key(raw: Any) -> str:
    lang = normalize_tag(str(raw))
    if lang is None:
        raise ValueError(f"{raw!r} under 'text' is not a language code such as en, de or pt-BR")
    return lang


def _measurement(raw: Mapping[str, Any] | None) -> Measurement | None:
    if not raw:
        return None
    threshold = raw.get("threshold")
    comparison = raw.get("comparison")
    if comparison is not None and comparison not in COMPARISONS:
        raise ValueError(f"comparison {comparison!r} must be one of {', '.join(COMPARISONS)}")
    return Measurement(
        quantity=raw["quantity"],
        unit=raw["unit"],
        threshold=None if threshold is None else float(threshold),
        comparison=comparison,
        threshold_unit=raw.get("threshold_unit"),
    )


def _entry(raw: Mapping[str, Any], scheme: Scheme, translations: Translations) -> CatalogEntry:
    code = str(raw["code"])
    borrowed = _optional(raw, "text_from", str)
    if borrowed is not None and "text" in raw:
        raise ValueError("give 'text' or 'text_from', not both")
    # text_from: the texts of the entry it names (`scheme:code`), joined in by load_all.
    texts: Mapping[str, Any]
    gaps: Mapping[str, frozenset[str]]
    if borrowed:
        texts, gaps = BorrowedTexts(borrowed), {}
    else:
        own = _texts(raw["text"], code, translations)
        texts, gaps = own, TextGaps(own)
    return CatalogEntry(
        scheme=scheme.name,
        code=code,
        kind=Kind(raw.get("kind", "error")),
        severity=Severity(raw["severity"]),
        category=str(raw["category"]),
        classification=strings(raw.get("classification"), "classification"),
        user_actionable=_optional(raw, "user_actionable", bool),
        responsibility=strings(raw.get("responsibility"), "responsibility"),
        source=_source(raw["source"]) if "source" in raw else scheme.source,
        texts=texts,
        text_gaps=gaps,
        measurement=_measurement(raw.get("measurement")),
        expected_status=_optional(raw, "expected_status", str),
        status_from_sample=bool(_optional(raw, "status_from_sample", bool)),
        expected_connector_id=_optional(raw, "expected_connector_id", int),
        ocpp_error_code=_optional(raw, "ocpp_error_code", str),
        equivalents=strings(raw.get("equivalents"), "equivalents"),
        aliases=strings(raw.get("aliases"), "aliases"),
        observed=_optional(raw, "observed", bool) or False,
        text_from=borrowed,
    )


def load_all(paths: Iterable[Path] | None = None) -> tuple[list[Scheme], list[CatalogEntry]]:
    """Every scheme file (the bundled ones by default) with its entries."""
    schemes: list[Scheme] = []
    entries: list[CatalogEntry] = []
    for path in data_files() if paths is None else paths:
        scheme, found = load_file(path)
        schemes.append(scheme)
        entries.extend(found)
    return schemes, lend_texts(entries)


class BorrowedTexts(dict[str, Any]):
    """The (empty, until load_all joins them in) texts of an entry that borrows another's."""

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref


def lend_texts(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Entries with `text_from` get the texts of the entry named there, in every language."""
    by_ref = {e.ref.lower(): e for e in entries}
    joined = []
    for entry in entries:
        if isinstance(entry.texts, BorrowedTexts):
            lender = by_ref.get(entry.texts.ref.lower())
            if lender is None or isinstance(lender.texts, BorrowedTexts):
                raise CatalogDataError(
                    f"{entry.ref}: text_from {entry.texts.ref!r} names no entry with texts")
            entry = replace(entry, texts=lender.texts, text_gaps=lender.text_gaps)
        joined.append(entry)
    return joined
