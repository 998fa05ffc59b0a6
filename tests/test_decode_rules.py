"""Every conformance warning rule: what raises it, and that decoding goes on regardless."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from evfault.decode import Decoded, Rule, decode, decode_payload, decode_text
from evfault.decode.build import positional_builder
from evfault.decode.model import DecodeWarning, Report

EVGO = "com.evgo.mrec"
CHARGEX = "https://chargex.inl.gov"


def sn(**fields: object) -> dict[str, object]:
    """A 1.6 StatusNotification payload; a field set to None is left out."""
    payload: dict[str, object] = {
        "connectorId": 1,
        "errorCode": "OtherError",
        "status": "Faulted",
        "timestamp": "2024-05-01T10:00:00Z",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def codes(decoded: Decoded) -> list[str]:
    return [f"{f.scheme}:{f.code}" for f in decoded.faults]


def run(message: object) -> Decoded:
    if isinstance(message, tuple):  # (action, payload, version)
        action, payload, version = message
        return decode_payload(action, payload, version)
    return decode(message)


# rule → (a message that breaks it, what must still be decoded from it: fault refs, or None for
# "no fault expected")
CASES: dict[Rule, tuple[object, list[str] | None]] = {
    Rule.UNREADABLE: ("Charger CP-1 lost its mind", None),
    Rule.FRAME_SHAPE: ([2, "1", "StatusNotification"], None),
    Rule.PAYLOAD_UNRECOGNISED: ({"meterValue": []}, None),
    Rule.VERSION_MISMATCH: (
        ("StatusNotification", sn(errorCode="GroundFailure"), "2.0.1"),
        ["ocpp1.6:GroundFailure"],
    ),
    Rule.FIELD_MISSING: (sn(status=None, errorCode="GroundFailure"), ["ocpp1.6:GroundFailure"]),
    Rule.FIELD_TYPE: (
        sn(vendorId="com.alfen", vendorErrorCode=210),
        ["unknown:210"],  # a number where the string belongs is still the code
    ),
    Rule.FIELD_LENGTH: (sn(errorCode="GroundFailure", info="x" * 51), ["ocpp1.6:GroundFailure"]),
    Rule.FIELD_CHARSET: (
        sn(errorCode="HighTemperature", info="température"),
        ["ocpp1.6:HighTemperature"],
    ),
    Rule.CONNECTOR_ID: (sn(connectorId=-1, errorCode="WeakSignal"), ["ocpp1.6:WeakSignal"]),
    Rule.STATUS_UNKNOWN: (
        sn(status="Broken", errorCode="ReaderFailure"),
        ["ocpp1.6:ReaderFailure"],
    ),
    Rule.ERROR_CODE_UNKNOWN: (sn(errorCode="Error"), ["unknown:Error"]),
    Rule.ERROR_CODE_CASE: (sn(errorCode="groundfailure"), ["ocpp1.6:GroundFailure"]),
    Rule.ERROR_CODE_MISMATCH: (
        sn(vendorId=CHARGEX, vendorErrorCode="CX006", errorCode="OverVoltage", info="3"),
        ["chargex-mrec:CX006"],
    ),
    Rule.ERROR_CODE_CONFLICT: (
        sn(vendorId=EVGO, vendorErrorCode="F001", errorCode="NoError", status="Available"),
        [],  # NoError wins: the vendor code is a stale leftover
    ),
    Rule.VENDOR_ID_MISSING: (sn(vendorErrorCode="CX011"), ["chargex-mrec:CX011"]),
    Rule.VENDOR_ID_MISMATCH: (
        sn(vendorId=EVGO, vendorErrorCode="F001,CX011", info="1.11,"),
        # the vendorId names the scheme: CX011 is an (unknown) EVgo code, said so
        ["evgo-mrec:F001", "evgo-mrec:CX011"],
    ),
    Rule.CODE_UNKNOWN: (sn(vendorId=EVGO, vendorErrorCode="F0FF"), ["evgo-mrec:F0FF"]),
    Rule.CODE_EMPTY_ITEM: (
        sn(vendorId=EVGO, vendorErrorCode="F001,,F003", info="1.11,,5.00"),
        ["evgo-mrec:F001", "evgo-mrec:F003"],
    ),
    Rule.CODE_WHITESPACE: (
        sn(vendorId=EVGO, vendorErrorCode="F001, F003", info="1.11,5.00"),
        ["evgo-mrec:F001", "evgo-mrec:F003"],
    ),
    Rule.CODE_CASE: (sn(vendorId=EVGO, vendorErrorCode="f001", info="1.11"), ["evgo-mrec:F001"]),
    Rule.RESOLVED_CODE_MISMATCH: (
        sn(vendorId=CHARGEX, vendorErrorCode="CX003", info="Error CX002 resolved"),
        [],
    ),
    Rule.INFO_COUNT_MISMATCH: (
        sn(vendorId=EVGO, vendorErrorCode="F001,F003", info="1.11"),
        ["evgo-mrec:F001", "evgo-mrec:F003"],
    ),
    Rule.INFO_WHITESPACE: (
        sn(vendorId=EVGO, vendorErrorCode="F001,F003", info="1.11, 5.00"),
        ["evgo-mrec:F001", "evgo-mrec:F003"],
    ),
    Rule.READING_NOT_NUMERIC: (
        sn(vendorId=EVGO, vendorErrorCode="F001", info="low"),
        ["evgo-mrec:F001"],
    ),
    Rule.TIMESTAMP_FORMAT: (sn(errorCode="NoError", timestamp="2023-09-06T00-08-09Z"), []),
    Rule.TIMESTAMP_NOT_UTC: (sn(errorCode="NoError", timestamp="2024-05-01T10:00:00-05:00"), []),
    Rule.TIMESTAMP_MISSING: (
        sn(vendorId=EVGO, vendorErrorCode="F005", timestamp=None),
        ["evgo-mrec:F005"],
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(Rule)


@pytest.mark.parametrize("rule", list(CASES), ids=[r.value for r in CASES])
def test_rule_is_raised_and_decoding_goes_on(rule: Rule) -> None:
    message, expected = CASES[rule]
    decoded = run(message)
    assert rule.value in [w.rule for w in decoded.warnings]
    assert all(w.message and w.message[0] != " " for w in decoded.warnings)
    if expected is not None:
        assert codes(decoded) == expected


def test_warnings_are_values_with_stable_ids() -> None:
    (warning,) = decode_text("nothing here").warnings
    assert warning == DecodeWarning(rule="unreadable", message=warning.message)
    assert all(rule.value == rule.value.lower() and " " not in rule.value for rule in Rule)


# ---- what each rule does besides warning ------------------------------------------------------


def test_mismatched_counts_pair_by_position_and_leave_the_rest_unpaired() -> None:
    decoded = run(sn(vendorId=EVGO, vendorErrorCode="F001,F003", info="1.11"))
    first, second = decoded.faults
    assert first.reading is not None and first.reading.value == 1.11
    assert (second.reading, second.info) == (None, None)


def test_an_empty_code_keeps_its_position_for_pairing() -> None:
    decoded = run(sn(vendorId=EVGO, vendorErrorCode="F001,,F003", info="1.11,9,5.00"))
    assert [f.reading.value for f in decoded.faults if f.reading] == [1.11, 5.0]


def test_non_numeric_reading_keeps_the_text() -> None:
    (fault,) = run(sn(vendorId=EVGO, vendorErrorCode="F001", info="low")).faults
    assert (fault.reading, fault.info) == (None, "low")


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1_000", "0x10", "", "1.2.3"])
def test_values_float_accepts_but_readings_refuse(text: str) -> None:
    (fault,) = run(sn(vendorId=EVGO, vendorErrorCode="F008", info=text)).faults
    assert fault.reading is None


def test_lowercase_code_is_canonical_and_keeps_the_raw_spelling() -> None:
    (fault,) = run(sn(vendorId=EVGO, vendorErrorCode="f001", info="1.11")).faults
    assert (fault.code, fault.raw_code, fault.known) == ("F001", "f001", True)


def test_number_for_a_string_field_is_kept_as_text() -> None:
    decoded = run(sn(vendorId="com.alfen", vendorErrorCode=210))
    assert decoded.faults[0].raw_code == "210"


def test_object_for_a_string_field_is_dropped() -> None:
    decoded = run(sn(errorCode="GroundFailure", vendorErrorCode={"code": "F001"}))
    assert codes(decoded) == ["ocpp1.6:GroundFailure"]
    assert "field-type" in [w.rule for w in decoded.warnings]


def test_missing_error_code_clears_nothing() -> None:
    """MicroOcpp#136: a triggered StatusNotification lost its errorCode; the active errors may
    still be there, so the report must not replace the connector's set."""
    (report,) = run(sn(errorCode=None, status="Faulted")).reports
    assert (report.faults, report.clear_all, report.rule.value) == ((), False, "accumulate")


def test_bad_connector_id_falls_back_to_the_whole_charger() -> None:
    assert run(sn(connectorId="x")).reports[0].connector_id == 0
    assert run(sn(connectorId="2")).reports[0].connector_id == 2


def test_no_error_with_a_placeholder_vendor_code_is_not_a_conflict() -> None:
    decoded = run(sn(errorCode="NoError", vendorErrorCode="0", status="Available"))
    assert decoded.reports[0].clear_all and decoded.warnings == ()


def test_mrec_timestamp_missing_but_plain_ocpp_timestamp_optional() -> None:
    assert run(sn(errorCode="GroundFailure", timestamp=None)).warnings == ()
    chargex = run(sn(vendorId=CHARGEX, vendorErrorCode="CX011", timestamp=None))
    assert [w.rule for w in chargex.warnings] == ["timestamp-missing"]


@pytest.mark.parametrize(
    ("stamp", "rule"),
    [
        ("2024-05-01", "timestamp-format"),  # a date without a time
        ("2024-05-01T10:00:00", "timestamp-not-utc"),  # no zone at all
        ("yesterday", "timestamp-format"),
    ],
)
def test_timestamp_variants(stamp: str, rule: str) -> None:
    decoded = run(sn(errorCode="NoError", timestamp=stamp))
    assert [w.rule for w in decoded.warnings] == [rule]
    assert decoded.reports[0].timestamp_raw == stamp


def test_cached_results_do_not_leak_between_messages() -> None:
    """The memo is keyed on the error fields; per-message parts (connector, status, time) and
    their warnings must still come from each message."""
    first = run(sn(vendorId=EVGO, vendorErrorCode="F001", info="1.11", connectorId=1))
    second = run(
        sn(vendorId=EVGO, vendorErrorCode="F001", info="1.11", connectorId=-3, timestamp="x")
    )
    assert first.faults == second.faults
    assert first.warnings == ()
    assert {w.rule for w in second.warnings} == {"connector-id", "timestamp-format"}


def test_typed_cache_keeps_numbers_and_booleans_apart() -> None:
    one = run(sn(vendorId="com.x", vendorErrorCode=1))
    true = run(sn(vendorId="com.x", vendorErrorCode=True))
    assert codes(one) == ["unknown:1"]
    assert codes(true) == ["ocpp1.6:OtherError"]  # a boolean is not a code: dropped


# ---- the fast constructors --------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Report, Decoded])
def test_positional_builder_makes_the_same_object(cls: type[Report] | type[Decoded]) -> None:
    values = [object() for _ in dataclasses.fields(cls)]
    built: object = positional_builder(cls)(*values)
    assert type(built) is cls
    assert [getattr(built, f.name) for f in dataclasses.fields(cls)] == values
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, "version", "x")  # noqa: B010  # frozen like the real thing


def test_positional_builder_fills_defaults_and_falls_back_when_it_must() -> None:
    build: Callable[..., Report] = positional_builder(Report)
    assert build(3) == Report(connector_id=3)

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    assert positional_builder(WithFactory) is WithFactory
