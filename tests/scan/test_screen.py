"""Screen text → catalog codes: what a driver types or OCR reads from a charger's screen."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evfault.catalog import default_catalog
from evfault.catalog.catalog import Catalog
from evfault.catalog.model import CatalogEntry
from evfault.catalog.screen import read_screen, screen_languages

CATALOG = default_catalog()


def refs(text: str, catalog: Catalog = CATALOG, segment: bool = False) -> list[str]:
    return [m.entry.ref for m in read_screen(catalog, text, segment=segment).matches]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Error CX011", "chargex-mrec:CX011"),
        ("Fehler F001", "evgo-mrec:F001"),
        ("Erreur: A003", "evgo-mrec:A003"),
        ("code F-001", "evgo-mrec:F001"),
        ("cx 011", "chargex-mrec:CX011"),
        ("CX 011", "chargex-mrec:CX011"),
        ("cx-011", "chargex-mrec:CX011"),
        ("CX - 011", "chargex-mrec:CX011"),
        ("ErrorF006", "evgo-mrec:F006"),  # glued to the word before it
        ("Błąd: A005.", "evgo-mrec:A005"),
        ("ground failure", "ocpp1.6:GroundFailure"),
        ("GROUND FAILURE", "ocpp1.6:GroundFailure"),
        ("Groundfailure", "ocpp1.6:GroundFailure"),
        ("over voltage", "ocpp1.6:OverVoltage"),
        ("Erdschluss", "ocpp1.6:GroundFailure"),
        ("défaut de terre", "ocpp1.6:GroundFailure"),
        ("Storing: aardlek gedetecteerd", "ocpp1.6:GroundFailure"),
        ("Störung: Überspannung", "ocpp1.6:OverVoltage"),
        ("Surchauffe du connecteur", "ocpp1.6:HighTemperature"),
        ("Errore interno", "ocpp1.6:InternalError"),
        ("Sobretensión en la red", "ocpp1.6:OverVoltage"),
        ("Sobreaquecimento", "ocpp1.6:HighTemperature"),
        ("Przegrzanie", "ocpp1.6:HighTemperature"),
        ("Not-Aus gedrückt", "chargex-mrec:CX008"),  # an MREC name by its German words
    ],
)
def test_screen_text_names_one_code(text: str, expected: str) -> None:
    assert refs(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CXO11", "chargex-mrec:CX011"),  # letter O for zero
        ("F00l", "evgo-mrec:F001"),  # lower-case l for one
        ("A00S", "evgo-mrec:A005"),
        ("F00B", "evgo-mrec:F008"),
        ("CX0Z1", "chargex-mrec:CX021"),
        ("F0O6", "evgo-mrec:F006"),
        ("C×011", "chargex-mrec:CX011"),  # multiplication sign
        ("СХ011", "chargex-mrec:CX011"),  # Cyrillic С and Х
        ("ΑΟ01", "evgo-mrec:A001"),  # Greek Alpha and Omicron: the shapes of A and O
        ("Ｆ００１", "evgo-mrec:F001"),  # full-width forms
        ("Erdschlus", "ocpp1.6:GroundFailure"),  # one letter lost in nine
        ("Overvoltaqe", "ocpp1.6:OverVoltage"),
    ],
)
def test_look_alikes_are_forgiven_once(text: str, expected: str) -> None:
    assert refs(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "CXOI1",  # two swaps: too far from any code
        "F0012",  # part of a longer number
        "F 0 0 1",  # separators inside the number
        "CX\n011",  # a separator across lines
        "CX    011",  # a gap too wide to be one code
        "Problem",  # an OCPP field name, and an ordinary word
        "lock",
        "Charging. Please present your card to the card reader.",
        "8000 W",  # a reading, not A000: segment look-alikes only for segment displays
        "Erdsch",  # short words must match exactly
    ],
)
def test_nothing_is_invented(text: str) -> None:
    assert refs(text) == []


def test_several_codes_are_listed_most_likely_first() -> None:
    assert refs("F001,F003") == ["evgo-mrec:F001", "evgo-mrec:F003"]
    assert refs("F001F003") == ["evgo-mrec:F001", "evgo-mrec:F003"]
    found = refs("Error CXO12 / CX011")
    assert found == ["chargex-mrec:CX011", "chargex-mrec:CX012"]  # the literal reading first


def test_segment_displays_offer_their_look_alikes_to_pick_from() -> None:
    assert refs("8005") == []
    assert refs("8005", segment=True) == ["evgo-mrec:A005"]
    assert refs("E001", segment=True) == ["evgo-mrec:F001"]
    # With codes that differ only by a segment, both are offered, the literal one first.
    twins = _catalog_with("E001", "F001")
    reading = read_screen(twins, "E001", segment=True)
    assert [m.entry.code for m in reading.matches] == ["E001", "F001"]
    assert reading.matches[0].score > reading.matches[1].score > 0
    assert reading.single is None
    assert [m.entry.code for m in read_screen(twins, "E001").matches] == ["E001"]


def _catalog_with(*codes: str) -> Catalog:
    template = CATALOG.get("evgo-mrec", "F001")
    assert template is not None
    entries = [_renamed(template, code) for code in codes]
    return Catalog(CATALOG.schemes.values(), entries)


def _renamed(entry: CatalogEntry, code: str) -> CatalogEntry:
    from dataclasses import replace

    return replace(entry, code=code, scheme="vendor-x", aliases=())


def test_the_screen_language_is_hinted_by_its_words() -> None:
    assert read_screen(CATALOG, "Fehler F001").lang_hint == "de"
    assert read_screen(CATALOG, "Erreur A003").lang_hint == "fr"
    assert read_screen(CATALOG, "Błąd F003").lang_hint == "pl"
    assert read_screen(CATALOG, "Storing F005").lang_hint == "nl"
    assert read_screen(CATALOG, "défaut de terre").lang_hint == "fr"
    assert read_screen(CATALOG, "F001").lang_hint is None


def test_every_keyword_names_a_catalog_code_in_all_eight_languages() -> None:
    from evfault.catalog.screen import _screen_words

    langs = set(screen_languages())
    assert langs == {"en", "de", "fr", "es", "it", "nl", "pt", "pl"}
    for key, per_lang in _screen_words()["names"].items():
        assert CATALOG.candidates(key), key
        assert set(per_lang) == langs, key
        for lang, phrases in per_lang.items():
            for phrase in phrases:
                assert key in [m.entry.code for m in read_screen(CATALOG, phrase).matches] or any(
                    key in m.entry.aliases for m in read_screen(CATALOG, phrase).matches
                ), (key, lang, phrase)


def test_importing_the_matcher_stays_light() -> None:
    code = (
        "import sys, evfault.catalog.screen, evfault.cli.catalog_cmds, evfault.web.codes,"
        " evfault.cli.scan_cmd, evfault.web.scan;"
        "heavy = {'numpy', 'cv2', 'onnxruntime', 'rapidocr', 'PIL'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


_KNOWN = {e.ref for e in CATALOG.entries}
_SCREENISH = st.lists(
    st.sampled_from([*"CXFAEOIl015S8BZ26 -_:.,/\n×СХΑΟ", "Error ", "Fehler ", "ground"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), _SCREENISH))
def test_any_text_reads_without_error_and_only_known_codes(text: str) -> None:
    reading = read_screen(CATALOG, text)
    assert {m.entry.ref for m in reading.matches} <= _KNOWN
    assert all(0 < m.score <= 1 for m in reading.matches)
    for segment in (True, False):
        assert {m.entry.ref for m in read_screen(CATALOG, text, segment=segment).matches} <= _KNOWN
