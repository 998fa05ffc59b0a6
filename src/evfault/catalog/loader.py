"""Load the catalog data files (one YAML file per scheme) into typed entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evfault.catalog.model import (
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
    with path.open(encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=_Loader)
    if not isinstance(doc, dict):
        raise CatalogDataError(f"{path.name}: the file must hold a mapping")
    return parse_document(doc, origin=path.name)


def parse_document(doc: Mapping[str, Any], origin: str) -> tuple[Scheme, list[CatalogEntry]]:
    try:
        scheme = _scheme(doc)
        entries = [_entry(e, scheme) for e in doc["entries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogDataError(f"{origin}: {exc!r}") from exc
    return scheme, entries


def _source(raw: Mapping[str, Any]) -> Source:
    return Source(standard=str(raw["standard"]), version=str(raw["version"]), url=str(raw["url"]))


def _scheme(doc: Mapping[str, Any]) -> Scheme:
    return Scheme(
        name=str(doc["scheme"]),
        title=str(doc["title"]),
        vendor_ids=tuple(doc.get("vendor_ids") or ()),
        source=_source(doc["source"]),
        code_pattern=doc.get("code_pattern"),
    )


def _texts(raw: Mapping[str, Any]) -> dict[str, EntryText]:
    return {
        lang: EntryText(
            title=t["title"],
            summary=t["summary"],
            driver_now=tuple(t.get("driver_now") or ()),
            driver_next=tuple(t.get("driver_next") or ()),
            operator_steps=tuple(t.get("operator_steps") or ()),
            display_requirement=t.get("display_requirement"),
        )
        for lang, t in raw.items()
    }


def _measurement(raw: Mapping[str, Any] | None) -> Measurement | None:
    if not raw:
        return None
    threshold = raw.get("threshold")
    return Measurement(
        quantity=raw["quantity"],
        unit=raw["unit"],
        threshold=None if threshold is None else float(threshold),
        comparison=raw.get("comparison"),
        threshold_unit=raw.get("threshold_unit"),
    )


def _entry(raw: Mapping[str, Any], scheme: Scheme) -> CatalogEntry:
    return CatalogEntry(
        scheme=scheme.name,
        code=str(raw["code"]),
        kind=Kind(raw.get("kind", "error")),
        severity=Severity(raw["severity"]),
        category=raw["category"],
        classification=tuple(raw.get("classification") or ()),
        user_actionable=raw.get("user_actionable"),
        responsibility=tuple(raw.get("responsibility") or ()),
        source=_source(raw["source"]) if "source" in raw else scheme.source,
        texts=_texts(raw["text"]),
        measurement=_measurement(raw.get("measurement")),
        expected_status=raw.get("expected_status"),
        expected_connector_id=raw.get("expected_connector_id"),
        ocpp_error_code=raw.get("ocpp_error_code"),
        equivalents=tuple(raw.get("equivalents") or ()),
        aliases=tuple(raw.get("aliases") or ()),
    )


def load_all(paths: Iterable[Path] | None = None) -> tuple[list[Scheme], list[CatalogEntry]]:
    schemes: list[Scheme] = []
    entries: list[CatalogEntry] = []
    for path in data_files() if paths is None else paths:
        scheme, found = load_file(path)
        schemes.append(scheme)
        entries.extend(found)
    return schemes, entries
