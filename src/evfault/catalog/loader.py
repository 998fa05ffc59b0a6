"""Load the catalog data files (one YAML file per scheme) into typed entries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evfault.catalog.model import (
    COMPARISONS,
    CatalogEntry,
    EntryText,
    Kind,
    Measurement,
    Scheme,
    Severity,
    Source,
)

try:  # the C loader is several times faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class CatalogDataError(ValueError):
    """A data file does not have the shape the catalog needs; the message names the place."""


def data_files() -> list[Path]:
    """The bundled data files, in a stable order."""
    folder = resources.files("evfault.catalog") / "data"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_file(path: Path) -> tuple[Scheme, list[CatalogEntry]]:
    """One data file: its scheme and entries; any problem is a CatalogDataError naming the file."""
    try:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.load(fh, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogDataError(f"{path.name}: cannot be read as YAML ({_one_line(exc)})") from exc
    if not isinstance(doc, dict):
        raise CatalogDataError(f"{path.name}: the file must hold a mapping")
    return parse_document(doc, origin=path.name)


def parse_document(doc: Mapping[str, Any], origin: str) -> tuple[Scheme, list[CatalogEntry]]:
    """A parsed data file → its scheme and entries; `origin` names the file in error messages."""
    try:
        scheme = _scheme(doc)
        raw_entries = doc["entries"]
        if not isinstance(raw_entries, list):
            raise TypeError("'entries' must be a list")
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogDataError(f"{origin}: {_describe(exc)}") from exc
    entries = [_checked_entry(raw, scheme, origin, i) for i, raw in enumerate(raw_entries)]
    _reject_duplicates(entries, origin)
    return scheme, entries


def _checked_entry(raw: Any, scheme: Scheme, origin: str, index: int) -> CatalogEntry:
    where = f"entry {raw.get('code')}" if isinstance(raw, dict) else f"entry #{index + 1}"
    try:
        if not isinstance(raw, dict):
            raise TypeError("an entry must be a mapping")
        return _entry(raw, scheme)
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
    )


def _pattern(raw: Any) -> str | None:
    if raw is None:
        return None
    try:
        re.compile(str(raw))
    except re.error as exc:
        raise ValueError(f"code_pattern {raw!r} is not a valid regular expression: {exc}") from exc
    return str(raw)


def _strings(raw: Any, name: str) -> tuple[str, ...]:
    """A list of strings from the file; a lone string counts as a list of one."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise TypeError(f"{name!r} must be a list of strings")
    return tuple(raw)


def _optional(raw: Mapping[str, Any], name: str, kind: type) -> Any:
    """An optional scalar of exactly this type (a YAML `yes` is a bool, never an int)."""
    value = raw.get(name)
    if value is not None and type(value) is not kind:
        raise TypeError(f"{name!r} must be a {kind.__name__} or left out")
    return value


def _text(raw: Any) -> EntryText:
    if not isinstance(raw, Mapping):
        raise TypeError("each language under 'text' must be a mapping")
    return EntryText(
        title=str(raw["title"]),
        summary=str(raw["summary"]),
        driver_now=_strings(raw.get("driver_now"), "driver_now"),
        driver_next=_strings(raw.get("driver_next"), "driver_next"),
        operator_steps=_strings(raw.get("operator_steps"), "operator_steps"),
        display_requirement=_optional(raw, "display_requirement", str),
    )


def _texts(raw: Any) -> dict[str, EntryText]:
    if not isinstance(raw, Mapping) or not raw:
        raise TypeError("'text' must map at least one language code (en, de, …) to its texts")
    return {str(lang): _text(t) for lang, t in raw.items()}


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


def _entry(raw: Mapping[str, Any], scheme: Scheme) -> CatalogEntry:
    return CatalogEntry(
        scheme=scheme.name,
        code=str(raw["code"]),
        kind=Kind(raw.get("kind", "error")),
        severity=Severity(raw["severity"]),
        category=str(raw["category"]),
        classification=_strings(raw.get("classification"), "classification"),
        user_actionable=_optional(raw, "user_actionable", bool),
        responsibility=_strings(raw.get("responsibility"), "responsibility"),
        source=_source(raw["source"]) if "source" in raw else scheme.source,
        texts=_texts(raw["text"]),
        measurement=_measurement(raw.get("measurement")),
        expected_status=_optional(raw, "expected_status", str),
        expected_connector_id=_optional(raw, "expected_connector_id", int),
        ocpp_error_code=_optional(raw, "ocpp_error_code", str),
        equivalents=_strings(raw.get("equivalents"), "equivalents"),
        aliases=_strings(raw.get("aliases"), "aliases"),
    )


def load_all(paths: Iterable[Path] | None = None) -> tuple[list[Scheme], list[CatalogEntry]]:
    schemes: list[Scheme] = []
    entries: list[CatalogEntry] = []
    for path in data_files() if paths is None else paths:
        scheme, found = load_file(path)
        schemes.append(scheme)
        entries.extend(found)
    return schemes, entries
