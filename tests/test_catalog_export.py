"""entry_to_dict: the one JSON shape of an entry, shared by the CLI and the REST API."""

from __future__ import annotations

import dataclasses
import json

from evfault.catalog import default_catalog, entry_to_dict
from evfault.catalog.model import EntryText

CATALOG = default_catalog()

FIELDS = {
    "scheme", "code", "ref", "kind", "title", "summary", "severity", "category",
    "classification", "user_actionable", "responsibility", "driver_now", "driver_next",
    "operator_steps", "display_requirement", "display_text", "measurement", "expected_status",
    "expected_connector_id", "ocpp_error_code", "equivalents", "aliases", "source", "lang",
    "languages", "observed", "text_from",
}  # fmt: skip


def test_every_entry_exports_every_field_as_json() -> None:
    for entry in CATALOG:
        data = entry_to_dict(entry)
        assert set(data) == FIELDS, entry.ref
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_f001_exports_its_facts() -> None:
    (f001,) = CATALOG.resolve("evgo-mrec:F001")
    data = entry_to_dict(f001)
    assert data["ref"] == "evgo-mrec:F001" and data["kind"] == "error"
    assert data["severity"] == "critical" and data["user_actionable"] is False
    assert data["measurement"] == {
        "quantity": "proximity voltage",
        "unit": "VDC",
        "threshold": 1.23,
        "comparison": "<",
        "threshold_unit": None,
    }
    assert data["expected_status"] == "Finishing" and data["expected_connector_id"] == 1
    assert data["equivalents"] == ["chargex-mrec:CX023"]
    assert data["source"] == {
        "standard": "EVgo Minimum Required Error Codes",
        "version": "1.0.1",
        "url": "https://mrec.evgo.com",
    }
    assert data["driver_now"] == list(f001.text().driver_now)


def test_an_entry_without_a_reading_exports_null() -> None:
    (a000,) = CATALOG.resolve("A000")
    data = entry_to_dict(a000)
    assert data["measurement"] is None and data["aliases"] == []


def test_texts_come_in_the_language_asked_for_or_english() -> None:
    (f001,) = CATALOG.resolve("F001")
    german = EntryText("Proximity-Spannung zu niedrig", "Kurz.", ("a",), ("b",), ("c",))
    both = dataclasses.replace(f001, texts={"en": f001.text(), "de": german})
    assert entry_to_dict(both, "de")["title"] == "Proximity-Spannung zu niedrig"
    assert entry_to_dict(both, "de")["lang"] == "de"
    fallback = entry_to_dict(both, "fr")
    assert fallback["title"] == f001.text().title and fallback["lang"] == "en"
    assert fallback["languages"] == ["de", "en"]
