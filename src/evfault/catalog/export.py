"""Catalog entries as plain JSON-ready dicts: the one shape the CLI and the REST API both serve."""

from __future__ import annotations

from typing import Any

from evfault.catalog.model import DEFAULT_LANG, CatalogEntry, Measurement, Scheme, Source


def entry_to_dict(entry: CatalogEntry, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Every field of an entry, with its texts in `lang` (or the fallback `text()` picks).

    `lang` says which language the texts are in; `languages` lists every one available.
    """
    text = entry.text(lang)
    return {
        "scheme": entry.scheme,
        "code": entry.code,
        "ref": entry.ref,
        "kind": entry.kind.value,
        "title": text.title,
        "summary": text.summary,
        "severity": entry.severity.value,
        "category": entry.category,
        "classification": list(entry.classification),
        "user_actionable": entry.user_actionable,
        "responsibility": list(entry.responsibility),
        "driver_now": list(text.driver_now),
        "driver_next": list(text.driver_next),
        "operator_steps": list(text.operator_steps),
        "display_requirement": text.display_requirement,
        "display_text": text.display_text,
        "measurement": measurement_to_dict(entry.measurement),
        "expected_status": entry.expected_status,
        "expected_connector_id": entry.expected_connector_id,
        "ocpp_error_code": entry.ocpp_error_code,
        "equivalents": list(entry.equivalents),
        "aliases": list(entry.aliases),
        "source": source_to_dict(entry.source),
        "observed": entry.observed,
        "text_from": entry.text_from,
        "lang": entry.text_lang(lang),
        "languages": list(entry.languages),
    }


def display_to_dict(entry: CatalogEntry, lang: str) -> dict[str, Any] | None:
    """What a charger's own screen shows for this code, for firmware; None where no standard
    sets a display requirement. `lang` is the language the text is really in (English where
    the translation lacks it, so firmware never ships a gap unknowingly)."""
    text = entry.text(lang)
    if text.display_text is None:
        return None
    asked = entry.text_lang(lang)
    missing = "display_text" in entry.text_gaps.get(asked, frozenset())
    return {
        "scheme": entry.scheme,
        "code": entry.code,
        "ref": entry.ref,
        "severity": entry.severity.value,
        "lang": DEFAULT_LANG if missing else asked,
        "display_text": text.display_text,
        "display_requirement": text.display_requirement,
    }


def measurement_to_dict(measurement: Measurement | None) -> dict[str, Any] | None:
    if measurement is None:
        return None
    return {
        "quantity": measurement.quantity,
        "unit": measurement.unit,
        "threshold": measurement.threshold,
        "comparison": measurement.comparison,
        "threshold_unit": measurement.threshold_unit,
    }


def source_to_dict(source: Source) -> dict[str, str]:
    return {"standard": source.standard, "version": source.version, "url": source.url}


def candidate_to_dict(entry: CatalogEntry, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """The short form of an entry, for lists of possible matches."""
    return {
        "ref": entry.ref,
        "scheme": entry.scheme,
        "code": entry.code,
        "kind": entry.kind.value,
        "title": entry.text(lang).title,
    }


def scheme_to_dict(scheme: Scheme) -> dict[str, Any]:
    return {
        "name": scheme.name,
        "title": scheme.title,
        "vendor_ids": list(scheme.vendor_ids),
        "charge_point_vendors": list(scheme.charge_point_vendors),
        "code_pattern": scheme.code_pattern,
        "source": source_to_dict(scheme.source),
    }
