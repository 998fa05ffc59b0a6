"""Translations beside the scheme files: read on demand, checked, and filled from English."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from evfault.catalog import Catalog, schema
from evfault.catalog.loader import CatalogDataError, data_files, load_all, load_file
from test_catalog_loader import GOOD

ENGLISH_ONLY = GOOD[: GOOD.index("      de:")]

GERMAN = """\
lang: de
scheme: acme
entries:
  E01:
    title: Verriegelung überlastet
    summary: Der Verriegelungsmotor hat zu viel Strom gezogen.
    driver_now: [Stecker ziehen und neu stecken.]
    driver_next: [Anderen Anschluss versuchen.]
    operator_steps: [Verriegelungsmotor prüfen.]
"""


def vendor(tmp_path: Path, translations: dict[str, str], scheme: str = ENGLISH_ONLY) -> Path:
    """A vendor pack: the scheme file, and `text/<lang>/acme.yaml` for each translation."""
    path = tmp_path / "acme.yaml"
    path.write_text(scheme, encoding="utf-8")
    for lang, body in translations.items():
        folder = tmp_path / "text" / lang
        folder.mkdir(parents=True)
        (folder / "acme.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_translation_file_adds_its_language(tmp_path: Path) -> None:
    _, (e01,) = load_file(vendor(tmp_path, {"de": GERMAN}))
    assert e01.languages == ("de", "en")
    assert e01.text("de").title == "Verriegelung überlastet"
    assert e01.text("de-AT").driver_now == ("Stecker ziehen und neu stecken.",)
    assert e01.text("en").title == "Lock motor overload"
    assert e01.text_gaps["de"] == frozenset()


def test_what_a_translation_leaves_out_comes_from_english_and_counts_as_missing(
    tmp_path: Path,
) -> None:
    partial = GERMAN.replace("    operator_steps: [Verriegelungsmotor prüfen.]\n", "")
    _, (e01,) = load_file(vendor(tmp_path, {"de": partial}))
    assert e01.text("de").operator_steps == ("Check the lock motor.",)
    assert e01.text("de").title == "Verriegelung überlastet"
    assert e01.text_gaps["de"] == {"operator_steps"}
    problems = schema.translation_problems(e01, ("en", "de"))
    assert problems == ["acme:E01: [de] operator_steps is not translated"]


def test_an_entry_the_file_does_not_mention_is_english_and_all_missing(tmp_path: Path) -> None:
    empty = "lang: fr\nscheme: acme\nentries: {}\n"
    _, (e01,) = load_file(vendor(tmp_path, {"fr": empty}))
    assert e01.text("fr").title == "Lock motor overload"
    assert {"title", "summary", "driver_now"} <= e01.text_gaps["fr"]


def test_a_language_is_read_only_when_asked_for(tmp_path: Path) -> None:
    """A broken French file does not stop English or German; it fails when French is read."""
    _, (e01,) = load_file(vendor(tmp_path, {"de": GERMAN, "fr": "lang: fr\nentries: [oops\n"}))
    assert e01.text("en").title == "Lock motor overload"
    assert e01.text("de").title == "Verriegelung überlastet"
    assert e01.languages == ("de", "en", "fr")
    with pytest.raises(CatalogDataError, match=r"^text/fr/acme\.yaml: cannot be read as YAML"):
        e01.text("fr")


def test_a_vendor_may_keep_every_language_inline(tmp_path: Path) -> None:
    _, (e01,) = load_file(vendor(tmp_path, {}, scheme=GOOD))
    assert e01.text("de").title == "Verriegelung überlastet"
    assert schema.translation_problems(e01, ("en", "de")) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (GERMAN.replace("lang: de", "lang: fr"), r"lang 'fr' does not match its folder 'de'"),
        (GERMAN.replace("scheme: acme", "scheme: evgo-mrec"), r"scheme 'evgo-mrec' is not 'acme'"),
        (GERMAN.replace("  E01:", "  E99:"), r"code E99 is not a code of acme"),
        (GERMAN.replace("    summary:", "    sumary:"), r"code E01: unknown text field 'sumary'"),
        (GERMAN.replace("[Anderen Anschluss versuchen.]", "{a: 1}"),
         r"code E01: 'driver_next' must be a list of strings"),
        ("- a\n- list\n", r"the file must hold a mapping"),
        (GERMAN.replace("entries:\n", "entries: [1]\nx:\n"), r"'entries' must map each code"),
    ],
)
def test_a_broken_translation_names_its_file_and_code(
    tmp_path: Path, body: str, message: str
) -> None:
    _, (e01,) = load_file(vendor(tmp_path, {"de": body}))
    with pytest.raises(CatalogDataError, match=r"^text/de/acme\.yaml: " + message):
        e01.text("de")


def test_a_language_given_inline_and_in_a_file_is_refused(tmp_path: Path) -> None:
    _, (e01,) = load_file(vendor(tmp_path, {"de": GERMAN}, scheme=GOOD))
    with pytest.raises(CatalogDataError, match=r"code E01 already has 'de' texts inline"):
        e01.text("de")


def test_english_must_be_inline(tmp_path: Path) -> None:
    only_german = GOOD.replace("      en:", "      fr:")
    with pytest.raises(CatalogDataError, match=r"entry E01: 'text' has no 'en' texts"):
        load_file(vendor(tmp_path, {}, scheme=only_german))


# ---- the completeness rules on a deliberately broken copy of the bundled catalog ----------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """The bundled data folder (schemes and translations), copied where a test may break it."""
    folder = tmp_path / "data"
    shutil.copytree(data_files()[0].parent, folder)
    return folder


def catalog_from(folder: Path) -> Catalog:
    return Catalog(*load_all(sorted(folder.glob("*.yaml"))))


def german_file(folder: Path) -> Path:
    return folder / "text" / "de" / "evgo_mrec.yaml"


def test_the_completeness_rules_catch_a_missing_and_an_untranslated_field(
    data_copy: Path,
) -> None:
    assert schema.catalog_problems(catalog_from(data_copy), ("en", "de")) == []
    path = german_file(data_copy)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    del doc["entries"]["F001"]["summary"]
    f002 = catalog_from(data_copy).get("evgo-mrec", "F002")
    assert f002 is not None
    doc["entries"]["F002"]["title"] = f002.text("en").title
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    problems = schema.catalog_problems(catalog_from(data_copy), ("en", "de"))
    assert problems == [
        "evgo-mrec:F001: [de] summary is not translated",
        "evgo-mrec:F002: [de] title is still the English text",
    ]


def test_a_missing_language_is_reported_for_every_entry(data_copy: Path) -> None:
    catalog = catalog_from(data_copy)
    problems = schema.catalog_problems(catalog, ("en", "xx"))
    assert len(problems) == len(catalog)
    assert "evgo-mrec:F001: has no 'xx' text" in problems


def test_a_new_language_is_a_folder_of_text_files(data_copy: Path) -> None:
    """A ninth language needs no code: a folder beside the others, and the catalog speaks it."""
    folder = data_copy / "text" / "sv"
    folder.mkdir(parents=True)
    (folder / "evgo_mrec.yaml").write_text(
        "lang: sv\nscheme: evgo-mrec\nentries:\n"
        "  F001:\n    title: För låg proximity-spänning\n",
        encoding="utf-8",
    )
    catalog = catalog_from(data_copy)
    f001 = catalog.get("evgo-mrec", "F001")
    assert f001 is not None and "sv" in catalog.languages
    assert f001.text("sv-SE").title == "För låg proximity-spänning"
    assert "summary" in f001.text_gaps["sv"]


@pytest.mark.parametrize(
    ("text", "same_everywhere"),
    [
        ("F001", True),
        ("GroundFailure", True),
        ("OCPP 1.6 / EVgo MREC", True),
        ("1.23 VDC", True),
        ("`vendorErrorCode`: CX011", True),
        ("Cable check failed", False),
        ("Check `info`", False),
    ],
)
def test_only_codes_names_and_units_may_stay_english(text: str, same_everywhere: bool) -> None:
    assert schema.may_stay_english(text) is same_everywhere


def test_display_requirement_and_display_text_come_together(tmp_path: Path) -> None:
    half = ENGLISH_ONLY.replace(
        "        operator_steps: [Check the lock motor.]\n",
        "        operator_steps: [Check the lock motor.]\n"
        "        display_requirement: Tell the driver to replug.\n",
    )
    _, (e01,) = load_file(vendor(tmp_path, {}, scheme=half))
    assert any("come together" in p for p in schema.entry_problems(e01))
