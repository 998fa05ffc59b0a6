"""The data-file loader: every bundled file loads, and a broken file says where it is broken."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evfault.catalog.loader import CatalogDataError, data_files, load_all, load_file

GOOD = """\
scheme: acme
title: ACME charger codes
vendor_ids: [com.acme]
code_pattern: "E\\\\d{2}"
source: {standard: "ACME service manual", version: "3", url: "https://acme.example/manual"}
entries:
  - code: E01
    severity: warning
    category: connector
    classification: [maintenance]
    measurement: {quantity: lock current, unit: A, threshold: 2.5, comparison: ">"}
    text:
      en:
        title: Lock motor overload
        summary: The plug lock drew too much current.
        driver_now: [Unplug and plug in again.]
        driver_next: [Try another connector.]
        operator_steps: [Check the lock motor.]
      de:
        title: Verriegelung überlastet
        summary: Der Verriegelungsmotor hat zu viel Strom gezogen.
        driver_now: [Stecker ziehen und neu stecken.]
        driver_next: [Anderen Anschluss versuchen.]
        operator_steps: [Verriegelungsmotor prüfen.]
"""


def write(tmp_path: Path, text: str, name: str = "acme.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_every_bundled_file_loads() -> None:
    names = {p.name for p in data_files()}
    assert {"evgo_mrec.yaml", "chargex_mrec.yaml", "ocpp16.yaml", "ocpp201.yaml",
            "platform.yaml"} <= names  # fmt: skip
    schemes, entries = load_all()
    assert {s.name for s in schemes} >= {"evgo-mrec", "chargex-mrec", "ocpp1.6", "ocpp2.0.1",
                                         "platform"}  # fmt: skip
    assert len(entries) >= 16 + 9 + 5 + 17 + 26 + 6


def test_a_vendor_file_with_two_languages_loads(tmp_path: Path) -> None:
    scheme, entries = load_file(write(tmp_path, GOOD))
    assert scheme.name == "acme" and scheme.vendor_ids == ("com.acme",)
    (e01,) = entries
    assert e01.source.standard == "ACME service manual"  # inherited from the scheme
    assert e01.languages == ("de", "en")
    assert e01.text("de").title == "Verriegelung überlastet"
    assert e01.measurement is not None and e01.measurement.consistent(3.0) is True


def test_a_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "scheme: acme\nentries:\n  - code: E01\n   severity: [warning\n")
    with pytest.raises(CatalogDataError, match=r"^acme\.yaml: cannot be read as YAML"):
        load_file(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    severity: warning\n", "", r"acme\.yaml: entry E01: missing field 'severity'"),
        ("severity: warning", "severity: dire", r"acme\.yaml: entry E01: .*'dire'"),
        ('comparison: ">"', 'comparison: "=>"', r"entry E01: comparison '=>' must be one of"),
        (
            "classification: [maintenance]",
            "classification: {a: 1}",
            r"entry E01: 'classification' must be a list of strings",
        ),
        ("title: ACME charger codes\n", "", r"^acme\.yaml: missing field 'title'$"),
        ('code_pattern: "E\\\\d{2}"', 'code_pattern: "E(["', r"code_pattern .* not a valid"),
        (
            "    category: connector\n",
            "    category: connector\n    user_actionable: 1\n",
            r"'user_actionable' must be a bool",
        ),
    ],
)
def test_a_malformed_entry_names_the_file_and_the_entry(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in GOOD
    with pytest.raises(CatalogDataError, match=message):
        load_file(write(tmp_path, GOOD.replace(old, new, 1)))


def test_a_file_without_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogDataError, match=r"acme\.yaml: the file must hold a mapping"):
        load_file(write(tmp_path, "- just\n- a list\n"))


def test_a_code_listed_twice_is_refused(tmp_path: Path) -> None:
    entry = GOOD[GOOD.index("  - code: E01") :]
    path = write(tmp_path, GOOD + entry.replace("code: E01", "code: e01"))
    with pytest.raises(CatalogDataError, match=r"acme\.yaml: code e01 appears more than once"):
        load_file(path)


def test_an_entry_without_any_text_is_refused(tmp_path: Path) -> None:
    cut = GOOD[: GOOD.index("    text:")] + "    text: {}\n"
    with pytest.raises(CatalogDataError, match=r"entry E01: 'text' must map at least one"):
        load_file(write(tmp_path, cut))
