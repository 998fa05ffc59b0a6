"""The bundled catalog data: complete, consistent, and faithful to the standards' facts."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import evfault.catalog
from evfault.catalog import Catalog, CatalogEntry, Kind, Severity, default_catalog, schema
from evfault.catalog.model import EntryText

CATALOG = default_catalog()

OCPP16_ERROR_CODES = {
    "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
    "InternalError", "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure",
    "OverVoltage", "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure",
    "UnderVoltage", "WeakSignal",
}  # fmt: skip
OCPP16_STATUSES = {
    "Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing",
    "Reserved", "Unavailable", "Faulted",
}  # fmt: skip
OCPP201_STATUSES = {"Available", "Occupied", "Reserved", "Unavailable", "Faulted"}
EVGO_CODES = {f"F{n:03d}" for n in range(11)} | {f"A{n:03d}" for n in range(6)}  # F009 → F010
CHARGEX_CODES = {f"CX{n:03d}" for n in range(1, 27)}
PLATFORM_CODES = {
    "ChargerOffline", "ChargerIdConflict", "ControllerOffline", "EmsOffline", "EmsUnknown",
    "MeterOffline", "MeterUnknown", "FaultedNoCode",
}  # fmt: skip

# standards.md §1.2: the OCPP 1.6 errorCode each ChargeX code travels with
CHARGEX_ERROR_CODE = {
    "CX001": "ConnectorLockFailure", "CX002": "GroundFailure", "CX003": "HighTemperature",
    "CX004": "OverCurrentFailure", "CX005": "OverVoltage", "CX006": "UnderVoltage",
    "CX007": "WeakSignal",
} | {code: "OtherError" for code in CHARGEX_CODES if code > "CX007"}  # fmt: skip

# standards.md §2: the EVgo → ChargeX correspondence (A005 has none)
EVGO_TO_CHARGEX = {
    "F000": "CX023", "F001": "CX023", "F002": "CX014", "F003": "CX014", "F004": "CX025",
    "F005": "CX011", "F006": "CX022", "F007": "CX021", "F008": "CX024", "F009": "CX019",
    "F010": "CX026", "A000": "CX009", "A001": "CX020", "A002": "CX001", "A003": "CX010",
    "A004": "CX008",
}  # fmt: skip


def codes(scheme: str, *kinds: Kind) -> set[str]:
    return {e.code for e in CATALOG.in_scheme(scheme) if e.kind in kinds}


def entry(ref: str) -> CatalogEntry:
    found = CATALOG.resolve(ref)
    assert len(found) == 1, f"{ref} names {len(found)} entries"
    return found[0]


# ---- completeness -------------------------------------------------------------------------------


def test_every_entry_in_every_language_has_the_required_fields() -> None:
    problems = [p for e in CATALOG for p in schema.entry_problems(e)]
    assert problems == []


def test_every_entry_is_translated_into_every_required_language() -> None:
    """No field left out, none still in English (codes, names and units may stay as they are)."""
    problems = [p for e in CATALOG for p in schema.translation_problems(e)]
    assert problems == []


def test_the_required_languages_are_all_eight() -> None:
    assert set(schema.REQUIRED_LANGUAGES) == set(schema.ALL_LANGUAGES)
    assert len(schema.ALL_LANGUAGES) == 8


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"driver_now": ()}, "driver_now has no steps"),
        ({"operator_steps": ("Check it.", " ")}, "operator_steps has an empty step"),
        ({"summary": ""}, "summary is empty"),
    ],
)
def test_the_schema_check_catches_a_missing_text_field(
    change: dict[str, object], complaint: str
) -> None:
    good = entry("evgo-mrec:F001")
    broken_text = dataclasses.replace(good.text("en"), **change)  # type: ignore[arg-type]
    broken = dataclasses.replace(good, texts={"en": good.text("en"), "de": broken_text})
    assert any(complaint in p and "[de]" in p for p in schema.entry_problems(broken))


def test_the_schema_check_catches_missing_facts() -> None:
    good = entry("evgo-mrec:F001")
    broken = dataclasses.replace(
        good, classification=(), category="misc", texts={"de": good.text("en")}
    )
    problems = " | ".join(schema.entry_problems(broken))
    assert "classification is empty" in problems
    assert "category 'misc'" in problems
    assert "has no 'en' text" in problems


@pytest.mark.parametrize(
    ("scheme", "kinds", "expected"),
    [
        ("ocpp1.6", (Kind.ERROR, Kind.CARRIER), OCPP16_ERROR_CODES),
        ("ocpp1.6", (Kind.STATUS,), OCPP16_STATUSES),
        ("ocpp2.0.1", (Kind.STATUS,), OCPP201_STATUSES),
        ("evgo-mrec", (Kind.ERROR,), EVGO_CODES),
        ("chargex-mrec", (Kind.ERROR,), CHARGEX_CODES),
        ("platform", (Kind.CONDITION,), PLATFORM_CODES),
    ],
)
def test_each_scheme_holds_exactly_the_codes_of_its_standard(
    scheme: str, kinds: tuple[Kind, ...], expected: set[str]
) -> None:
    assert codes(scheme, *kinds) == expected


def test_the_counts_the_standards_give() -> None:
    assert len(OCPP16_ERROR_CODES) == 16 and len(OCPP16_STATUSES) == 9
    assert len(OCPP201_STATUSES) == 5 and len(EVGO_CODES) == 17
    assert len(CHARGEX_CODES) == 26 and len(PLATFORM_CODES) == 8


def test_only_no_error_and_other_error_are_ocpp16_carriers() -> None:
    assert codes("ocpp1.6", Kind.CARRIER) == {"NoError", "OtherError"}


def test_ocpp201_explains_how_faults_arrive() -> None:
    assert {"NotifyEvent", "Problem", "techCode", "techInfo", "cleared"} <= codes(
        "ocpp2.0.1", Kind.CARRIER
    )


# ---- consistency --------------------------------------------------------------------------------


def test_every_equivalent_resolves_and_names_its_entry_back() -> None:
    assert schema.equivalence_problems(CATALOG) == []


def test_a_one_sided_equivalent_is_caught() -> None:
    f001 = entry("evgo-mrec:F001")
    lopsided = dataclasses.replace(f001, equivalents=("chargex-mrec:CX011", "nowhere:X1"))
    others = [e for e in CATALOG if e is not f001]
    problems = schema.equivalence_problems(Catalog(CATALOG.schemes.values(), [*others, lopsided]))
    assert any("CX011 does not list it back" in p for p in problems)
    assert any("'nowhere:X1' names no entry" in p for p in problems)
    assert any(p.startswith("chargex-mrec:CX023:") for p in problems)  # CX023 lost its partner


def test_equivalent_codes_share_their_severity() -> None:
    mismatched = [
        (e.ref, e.severity, ref, entry(ref).severity)
        for e in CATALOG
        for ref in e.equivalents
        if entry(ref).severity != e.severity
    ]
    assert mismatched == []


@pytest.mark.parametrize(("evgo", "chargex"), sorted(EVGO_TO_CHARGEX.items()))
def test_evgo_codes_map_to_their_chargex_counterpart(evgo: str, chargex: str) -> None:
    assert f"chargex-mrec:{chargex}" in entry(f"evgo-mrec:{evgo}").equivalents


@pytest.mark.parametrize(
    "code", sorted(c for c, e in CHARGEX_ERROR_CODE.items() if e != "OtherError")
)
def test_chargex_codes_with_an_ocpp_name_are_equivalent_to_it(code: str) -> None:
    assert entry(f"chargex-mrec:{code}").equivalents[0] == f"ocpp1.6:{CHARGEX_ERROR_CODE[code]}"


def test_every_code_matches_its_schemes_pattern() -> None:
    assert schema.pattern_problems(CATALOG) == []
    assert {s for s, scheme in CATALOG.schemes.items() if scheme.code_pattern} >= {
        "evgo-mrec",
        "chargex-mrec",
    }


def test_no_two_entries_share_scheme_and_code() -> None:
    assert schema.duplicate_problems(CATALOG) == []
    twice = [*CATALOG.entries, entry("evgo-mrec:F001")]
    assert schema.duplicate_problems(twice) == ["evgo-mrec:F001: appears more than once"]


def test_no_alias_names_a_second_entry() -> None:
    assert schema.alias_problems(CATALOG) == []


def test_no_chargex_alias_is_an_ocpp16_error_code() -> None:
    aliases = {a for e in CATALOG.in_scheme("chargex-mrec") for a in e.aliases}
    assert aliases.isdisjoint(OCPP16_ERROR_CODES)


# ---- facts from the standards -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "unit", "threshold", "comparison"),
    [
        ("F000", "VDC", 1.82, ">"),
        ("F001", "VDC", 1.23, "<"),
        ("F002", "VDC", 6.53, ">"),
        ("F003", "VDC", 5.47, "<"),
        ("F006", "Ω", 100.0, "<"),
        ("F007", "µF", 5.0, ">"),
        ("F008", "VDC", 60.0, ">"),
        ("F009", "°C", None, ">="),
    ],
)
def test_evgo_measurements(code: str, unit: str, threshold: float | None, comparison: str) -> None:
    m = entry(f"evgo-mrec:{code}").measurement
    assert m is not None
    assert (m.unit, m.threshold, m.comparison) == (unit, threshold, comparison)


def test_f006_limit_is_per_volt_so_a_bare_reading_cannot_be_judged() -> None:
    m = entry("evgo-mrec:F006").measurement
    assert m is not None and m.threshold_unit == "Ω/V"
    assert m.consistent(20.0) is None


def test_f001_reading_is_judged_against_its_threshold() -> None:
    m = entry("F001").measurement
    assert m is not None
    assert m.consistent(1.11) is True
    assert m.consistent(1.50) is False


def test_evgo_codes_without_a_reading_carry_no_measurement() -> None:
    without = {e.code for e in CATALOG.in_scheme("evgo-mrec") if e.measurement is None}
    assert without == {"F004", "F005", "F010", "A000", "A001", "A002", "A003", "A004", "A005"}


def test_chargex_readings_have_their_units() -> None:
    cx006, cx019 = entry("CX006").measurement, entry("CX019").measurement
    assert cx006 is not None and cx006.unit == "V"
    assert cx019 is not None and cx019.unit == "°C"


def test_evgo_statuses_connectors_and_actionability() -> None:
    for e in CATALOG.in_scheme("evgo-mrec"):
        assert e.expected_status == (
            "Finishing" if e.code <= "F003" and e.code[0] == "F" else "Faulted"
        ), e.code
        assert e.expected_connector_id == (0 if e.code == "A004" else 1), e.code
        assert e.user_actionable is (e.code[0] == "A"), e.code
        assert e.ocpp_error_code == "OtherError"


@pytest.mark.parametrize(("code", "error_code"), sorted(CHARGEX_ERROR_CODE.items()))
def test_chargex_error_code_per_standard(code: str, error_code: str) -> None:
    assert entry(f"chargex-mrec:{code}").ocpp_error_code == error_code


def test_chargex_responsibility_decides_user_actionable() -> None:
    for e in CATALOG.in_scheme("chargex-mrec"):
        assert e.responsibility, e.code
        assert e.user_actionable is ("EV User" in e.responsibility), e.code
    assert entry("CX019").responsibility == ("EVSE",)  # INL's page, over the secondary source


def test_severity_follows_the_rules() -> None:
    assert {e.severity for e in CATALOG.in_scheme("evgo-mrec") if e.code[0] == "F"} == {
        Severity.CRITICAL
    }
    assert {e.severity for e in CATALOG.in_scheme("evgo-mrec") if e.code[0] == "A"} == {
        Severity.WARNING
    }
    assert entry("ocpp1.6:Faulted").severity is Severity.CRITICAL
    assert entry("ocpp1.6:Available").severity is Severity.INFO
    assert entry("NoError").severity is Severity.INFO


def test_evgo_entries_say_what_the_screen_must_show() -> None:
    missing = [e.code for e in CATALOG.in_scheme("evgo-mrec") if not e.text().display_requirement]
    assert missing == []


# ---- lookups ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("CableCheckFault", "chargex-mrec:CX011"),
        ("cablecheckfailure", "chargex-mrec:CX011"),
        ("MREC11CableCheckFault", "chargex-mrec:CX011"),
        ("ProximityFault", "chargex-mrec:CX023"),
        ("cx011", "chargex-mrec:CX011"),
        ("f001", "evgo-mrec:F001"),
        ("groundfailure", "ocpp1.6:GroundFailure"),
        ("EVGO-MREC:f001", "evgo-mrec:F001"),
        (" evgo-mrec:F001 ", "evgo-mrec:F001"),
        ("chargingstationoffline", "platform:ChargerOffline"),
    ],
)
def test_lookup_by_alias_and_in_any_case(asked: str, expected: str) -> None:
    assert [e.ref for e in CATALOG.resolve(asked)] == [expected]


def test_a_status_in_both_ocpp_versions_is_ambiguous() -> None:
    assert {e.ref for e in CATALOG.resolve("Faulted")} == {"ocpp1.6:Faulted", "ocpp2.0.1:Faulted"}


def test_get_takes_scheme_and_code_in_any_case() -> None:
    assert CATALOG.get("OCPP1.6", "groundfailure") is entry("ocpp1.6:GroundFailure")
    assert CATALOG.get("evgo-mrec", "F011") is None


def test_vendor_ids_and_code_patterns_select_the_scheme() -> None:
    assert CATALOG.scheme_for_vendor("com.evgo.mrec").name == "evgo-mrec"  # type: ignore[union-attr]
    chargex = CATALOG.scheme_for_vendor("HTTPS://chargex.inl.gov/")
    assert chargex is not None and chargex.name == "chargex-mrec"
    assert CATALOG.scheme_for_vendor("com.example") is None
    assert CATALOG.scheme_for_code("CX011") == "chargex-mrec"
    assert CATALOG.scheme_for_code("A004") == "evgo-mrec"
    assert CATALOG.scheme_for_code("GroundFailure") is None


def test_search_for_ground_fault_finds_both_ground_fault_codes_first() -> None:
    found = [e.ref for e in CATALOG.search("ground fault")]
    assert set(found[:2]) == {"ocpp1.6:GroundFailure", "chargex-mrec:CX002"}


def test_search_ranks_entries_matching_every_word_above_partial_matches() -> None:
    found = [e.ref for e in CATALOG.search("cable check")]
    assert set(found[:2]) == {"chargex-mrec:CX011", "evgo-mrec:F005"}
    assert "chargex-mrec:CX026" not in found  # "cable" alone is not enough


def test_search_reads_noisy_screen_text() -> None:
    found = CATALOG.search("ERROR  CX011 - cable check failed, call support")
    assert found[0].ref == "chargex-mrec:CX011"


def test_search_with_no_words_finds_nothing() -> None:
    assert CATALOG.search(" -- ") == []


# ---- purity -------------------------------------------------------------------------------------

FORBIDDEN = {"asyncio", "websockets", "sqlalchemy", "psycopg", "starlette", "uvicorn", "typer"}


def test_the_catalog_package_imports_no_io_framework() -> None:
    imported = set()
    for path in Path(evfault.catalog.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert imported, "no imports found: wrong folder?"
    assert imported & FORBIDDEN == set()


def test_entry_texts_are_keyed_by_language() -> None:
    f001 = entry("F001")
    german = EntryText("Proximity-Spannung zu niedrig", "…", ("a",), ("b",), ("c",))
    both = dataclasses.replace(f001, texts={"en": f001.text("en"), "de": german})
    assert both.text("de-AT").title == "Proximity-Spannung zu niedrig"
    assert both.text("fr").title == f001.text("en").title
    assert both.text_lang("DE") == "de" and both.languages == ("de", "en")
