"""Decoding real messages: the EVgo and ChargeX MREC samples, clears, plain OCPP and log lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from evfault.decode import (
    Decoded,
    Decoder,
    SetRule,
    decode,
    decode_frame,
    decode_payload,
    decode_text,
)

SAMPLES = Path(__file__).resolve().parent / "samples"
EVGO = "com.evgo.mrec"
CHARGEX = "https://chargex.inl.gov"
INL_TIME = "2023-09-06T00-08-09Z"  # as printed in the ChargeX examples: not a date-time


def sample_lines(name: str) -> list[str]:
    return (SAMPLES / name).read_text(encoding="utf-8").splitlines()


def readings(decoded: Decoded) -> list[tuple[str, float | None, str | None]]:
    """(scheme:code, reading value, unit) of every active fault, in order."""
    return [
        (
            f"{f.scheme}:{f.code}",
            f.reading.value if f.reading else None,
            f.reading.unit if f.reading else None,
        )
        for f in decoded.faults
    ]


def rules(decoded: Decoded) -> list[str]:
    return [w.rule for w in decoded.warnings]


def status_payload(**fields: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "connectorId": 1,
        "errorCode": "OtherError",
        "status": "Faulted",
        "timestamp": "2024-05-01T10:00:00Z",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


# ---- EVgo MREC: the 18 sample messages of the spec ---------------------------------------------

# (faults with reading and unit, connectorId, status), in the order of tests/samples/evgo_mrec.jsonl
EVGO_EXPECTED: list[tuple[list[tuple[str, float | None, str | None]], int, str]] = [
    ([("evgo-mrec:F001", 1.11, "VDC"), ("evgo-mrec:F003", 5.00, "VDC")], 1, "Finishing"),
    ([("evgo-mrec:F000", 2.00, "VDC")], 1, "Finishing"),
    ([("evgo-mrec:F001", 1.11, "VDC")], 1, "Finishing"),
    ([("evgo-mrec:F002", 7.00, "VDC")], 1, "Finishing"),
    ([("evgo-mrec:F003", 5.00, "VDC")], 1, "Finishing"),
    ([("evgo-mrec:F004", None, None)], 1, "Faulted"),
    ([("evgo-mrec:F005", None, None)], 1, "Faulted"),
    ([("evgo-mrec:F006", 20.0, "Ω")], 1, "Faulted"),
    ([("evgo-mrec:F007", 10.0, "µF")], 1, "Faulted"),
    ([("evgo-mrec:F008", 70.0, "VDC")], 1, "Faulted"),
    ([("evgo-mrec:F009", 96.0, "°C")], 1, "Faulted"),
    ([("evgo-mrec:F010", None, None)], 1, "Faulted"),
    ([("evgo-mrec:A000", None, None)], 1, "Faulted"),
    ([("evgo-mrec:A001", None, None)], 1, "Faulted"),
    ([("evgo-mrec:A002", None, None)], 1, "Faulted"),
    ([("evgo-mrec:A003", None, None)], 1, "Faulted"),
    ([("evgo-mrec:A004", None, None)], 0, "Faulted"),  # v1.0.1: A004 concerns the whole charger
    ([("evgo-mrec:A005", None, None)], 1, "Faulted"),
]


def test_the_evgo_sample_file_holds_the_18_sample_messages() -> None:
    assert len(sample_lines("evgo_mrec.jsonl")) == len(EVGO_EXPECTED) == 18


@pytest.mark.parametrize(
    ("line", "expected"),
    list(zip(sample_lines("evgo_mrec.jsonl"), EVGO_EXPECTED, strict=True)),
    ids=[f"sample{n}" for n in range(1, 19)],
)
def test_every_evgo_sample_decodes_to_its_codes_and_readings(
    line: str, expected: tuple[list[tuple[str, float | None, str | None]], int, str]
) -> None:
    faults, connector_id, status = expected
    decoded = decode_text(line)
    assert readings(decoded) == faults
    (report,) = decoded.reports
    assert (report.connector_id, report.status, report.error_code) == (
        connector_id,
        status,
        "OtherError",
    )
    assert report.rule is SetRule.REPLACE  # a compound message carries the connector's whole set
    assert report.timestamp == datetime(2022, 6, 10, 14, 51, 17, tzinfo=UTC)
    assert all(f.known and f.vendor_id == EVGO for f in decoded.faults)
    assert decoded.warnings == ()  # the spec's own samples are clean
    assert (decoded.version, decoded.action, decoded.message_id) == (
        "1.6",
        "StatusNotification",
        "12345",
    )


def test_compound_codes_pair_the_nth_reading_with_the_nth_code() -> None:
    decoded = decode_text(sample_lines("evgo_mrec.jsonl")[0])
    first, second = decoded.faults
    assert (first.code, first.info, first.reading and first.reading.raw) == ("F001", "1.11", "1.11")
    assert (second.code, second.info, second.reading and second.reading.raw) == (
        "F003",
        "5.00",
        "5.00",
    )
    assert first.title != second.title
    assert decoded.faults[0].key == ("evgo-mrec", "F001")


def test_compound_order_follows_the_message_not_the_catalog() -> None:
    payload = status_payload(vendorId=EVGO, vendorErrorCode="F003,F001", info="5.00,1.11")
    decoded = decode_payload("StatusNotification", payload)
    assert readings(decoded) == [("evgo-mrec:F003", 5.0, "VDC"), ("evgo-mrec:F001", 1.11, "VDC")]


def test_a_code_without_a_measurement_keeps_its_info_as_text() -> None:
    payload = status_payload(vendorId=EVGO, vendorErrorCode="F004,F001", info="latch,1.11")
    latch, proximity = decode_payload("StatusNotification", payload).faults
    assert (latch.info, latch.reading) == ("latch", None)
    assert proximity.reading is not None and proximity.reading.value == 1.11


# ---- ChargeX MREC -----------------------------------------------------------------------------


def test_chargex_16_samples_decode_with_the_timestamp_warning() -> None:
    lines = sample_lines("chargex_mrec.jsonl")[:3]
    decoded = [decode_text(line) for line in lines]
    assert [readings(d) for d in decoded] == [
        [("chargex-mrec:CX006", 0.0, "V")],
        [("chargex-mrec:CX011", None, None)],
        [("chargex-mrec:CX019", 105.0, "°C")],
    ]
    assert [d.faults[0].error_code for d in decoded] == ["UnderVoltage", "OtherError", "OtherError"]
    for d in decoded:
        (report,) = d.reports
        assert report.status == "Faulted" and report.connector_id == 1
        assert report.rule is SetRule.ACCUMULATE  # ChargeX/EVerest clear codes one at a time
        assert (report.timestamp, report.timestamp_raw) == (None, INL_TIME)
        assert rules(d) == ["timestamp-format"]
        assert d.faults[0].vendor_id == CHARGEX


def test_chargex_code_with_its_matching_error_code_is_one_fault() -> None:
    decoded = decode_text(sample_lines("chargex_mrec.jsonl")[0])
    (fault,) = decoded.faults  # CX006 with UnderVoltage: not also an ocpp1.6:UnderVoltage
    assert (fault.scheme, fault.code, fault.error_code) == ("chargex-mrec", "CX006", "UnderVoltage")


def test_chargex_code_with_another_error_code_is_still_one_fault_and_a_warning() -> None:
    payload = status_payload(vendorId=CHARGEX, vendorErrorCode="CX006", errorCode="GroundFailure")
    decoded = decode_payload("StatusNotification", payload)
    assert [f.ref for f in (x.entry for x in decoded.faults) if f] == ["chargex-mrec:CX006"]
    assert "error-code-mismatch" in rules(decoded)


def test_chargex_201_notify_events_decode_per_event() -> None:
    lines = sample_lines("chargex_mrec.jsonl")[3:]
    raised = [decode_text(line) for line in lines[:3]]
    assert [readings(d) for d in raised] == [
        [("chargex-mrec:CX006", 0.0, "V")],
        [("chargex-mrec:CX011", None, None)],
        [("chargex-mrec:CX019", 105.0, "°C")],
    ]
    for d in raised:
        (report,) = d.reports
        assert (d.version, d.action) == ("2.0.1", "NotifyEvent")
        assert report.connector_id == 1  # component.evse.id
        assert report.rule is SetRule.ACCUMULATE and report.status is None
        assert report.timestamp is None and report.timestamp_raw == INL_TIME
        assert rules(d) == ["timestamp-format"]
    assert raised[1].faults[0].info == "Isolation failure during cable check"  # techInfo


def test_chargex_201_cleared_event_is_a_clear_not_a_fault() -> None:
    decoded = decode_text(sample_lines("chargex_mrec.jsonl")[6])
    assert decoded.faults == ()
    assert [(f.scheme, f.code) for f in decoded.cleared] == [("chargex-mrec", "CX019")]
    assert decoded.reports[0].connector_id == 1


def notify_event(*events: dict[str, object]) -> dict[str, object]:
    return {"generatedAt": "2024-05-01T10:00:00Z", "seqNo": 0, "eventData": list(events)}


def event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "eventId": 1,
        "timestamp": "2024-05-01T10:00:00Z",
        "trigger": "Alerting",
        "actualValue": "true",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "EVSE", "evse": {"id": 2}},
        "variable": {"name": "Problem"},
    }
    base.update(fields)
    return base


def test_tech_code_may_name_an_ocpp_error_code() -> None:
    (fault,) = decode_payload(None, notify_event(event(techCode="GroundFailure"))).faults
    assert (fault.scheme, fault.code) == ("ocpp1.6", "GroundFailure")
    (status,) = decode_payload(None, notify_event(event(techCode="Available"))).faults
    assert status.scheme == "unknown"  # a status is not an error code


def test_everest_problem_false_clears_and_true_raises() -> None:
    raised = decode_payload(None, notify_event(event(techCode="CX002")))
    cleared = decode_payload(None, notify_event(event(techCode="CX002", actualValue="false")))
    assert [(f.code, f.connector_id) for f in raised.faults] == [("CX002", 2)]
    assert [f.code for f in cleared.cleared] == ["CX002"] and cleared.faults == ()
    assert raised.warnings == () and cleared.warnings == ()


def test_notify_event_without_evse_concerns_the_whole_station() -> None:
    decoded = decode_payload(None, notify_event(event(techCode="CX015", component={"name": "X"})))
    assert decoded.reports[0].connector_id == 0


def test_notify_event_problem_without_tech_code_is_the_problem_itself() -> None:
    decoded = decode_payload(None, notify_event(event(component={"name": "Connector"})))
    (fault,) = decoded.faults  # the Problem variable itself, like OtherError in 1.6
    assert (fault.scheme, fault.code, fault.known) == ("ocpp2.0.1", "Problem", True)
    assert fault.raw_code == "Connector.Problem" and fault.connector_id == 0


def test_notify_event_skips_events_that_are_not_faults_and_reads_availability() -> None:
    temperature = event(variable={"name": "Temperature"}, actualValue="41", trigger="Periodic")
    available = event(
        variable={"name": "AvailabilityState"},
        component={"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
        actualValue="Available",
        trigger="Delta",
    )
    decoded = decode_payload(None, notify_event(temperature, available))
    (report,) = decoded.reports
    assert (report.connector_id, report.status, report.faults) == (1, "Available", ())
    assert report.rule is SetRule.ACCUMULATE  # a status alone must not clear 2.0.1 errors


def test_201_status_notification_maps_evse_to_connector() -> None:
    payload = {
        "timestamp": "2024-05-01T10:00:00Z",
        "connectorStatus": "Faulted",
        "evseId": 2,
        "connectorId": 1,
    }
    decoded = decode_frame([2, "9", "StatusNotification", payload])
    (report,) = decoded.reports
    assert (decoded.version, report.connector_id, report.status) == ("2.0.1", 2, "Faulted")
    assert report.rule is SetRule.ACCUMULATE and decoded.warnings == ()


# ---- clears -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "info", ["Error CX002 resolved", "error cx002 RESOLVED", " Error CX002 resolved "]
)
def test_resolved_info_clears_that_code(info: str) -> None:
    payload = status_payload(
        vendorId=CHARGEX, vendorErrorCode="CX002", info=info, errorCode="OtherError"
    )
    decoded = decode_payload("StatusNotification", payload)
    assert decoded.faults == ()  # errorCode names another still-active error (EVerest#2455)
    assert [(f.scheme, f.code) for f in decoded.cleared] == [("chargex-mrec", "CX002")]
    report = decoded.reports[0]
    assert report.rule is SetRule.ACCUMULATE and not report.clear_all


def test_resolved_works_for_any_code_and_with_no_error() -> None:
    payload = status_payload(
        vendorId=EVGO, vendorErrorCode="F009", info="Error F009 resolved", errorCode="NoError"
    )
    decoded = decode_payload("StatusNotification", payload)
    assert [(f.scheme, f.code) for f in decoded.cleared] == [("evgo-mrec", "F009")]
    assert decoded.reports[0].clear_all  # NoError: nothing else is active either
    assert decoded.warnings == ()


def test_no_error_clears_everything() -> None:
    decoded = decode_payload(None, status_payload(errorCode="NoError", status="Available"))
    (report,) = decoded.reports
    assert report.clear_all and report.faults == () and report.rule is SetRule.REPLACE


# ---- plain OCPP 1.6 ---------------------------------------------------------------------------


def test_plain_error_code_is_an_ocpp16_fault() -> None:
    decoded = decode_payload(None, status_payload(errorCode="GroundFailure", info="GFCI"))
    (fault,) = decoded.faults
    assert (fault.scheme, fault.code, fault.info, fault.vendor_id) == (
        "ocpp1.6",
        "GroundFailure",
        "GFCI",
        None,
    )
    assert decoded.reports[0].rule is SetRule.REPLACE and decoded.warnings == ()


def test_other_error_without_vendor_code_is_an_ocpp16_fault() -> None:
    (fault,) = decode_payload(None, status_payload(errorCode="OtherError")).faults
    assert (fault.scheme, fault.code) == ("ocpp1.6", "OtherError")


def test_error_code_outside_the_enum_is_an_unknown_fault_with_a_warning() -> None:
    decoded = decode_payload(None, status_payload(errorCode="Error"))  # lbbrhzn/ocpp#1248
    (fault,) = decoded.faults
    assert (fault.scheme, fault.code, fault.entry) == ("unknown", "Error", None)
    assert rules(decoded) == ["error-code-unknown"]


def test_unknown_vendor_code_is_kept_with_its_vendor_and_carrier() -> None:
    # A code no vendor pack knows (CTEK's NoPPDetected, once the example here, now has a pack).
    payload = status_payload(vendorId="com.acme", vendorErrorCode="LidOpenDetected")
    decoded = decode_payload("StatusNotification", payload)
    (fault,) = decoded.faults  # one fault: OtherError only carries the vendor code
    assert (fault.scheme, fault.code, fault.raw_code, fault.known) == (
        "unknown",
        "LidOpenDetected",
        "LidOpenDetected",
        False,
    )
    assert (fault.vendor_id, fault.error_code) == ("com.acme", "OtherError")
    assert fault.title == "Unknown code LidOpenDetected"
    assert decoded.reports[0].rule is SetRule.REPLACE


def test_unknown_code_matching_a_scheme_pattern_keeps_that_scheme() -> None:
    payload = status_payload(vendorId=EVGO, vendorErrorCode="F0AB")
    (fault,) = decode_payload("StatusNotification", payload).faults
    assert (fault.scheme, fault.code, fault.entry) == ("evgo-mrec", "F0AB", None)


@pytest.mark.parametrize("vendor_id", ["HTTPS://ChargeX.inl.gov/", "https://chargex.inl.gov"])
def test_vendor_id_matches_case_insensitively_with_a_trailing_slash(vendor_id: str) -> None:
    payload = status_payload(vendorId=vendor_id, vendorErrorCode="CX011")
    decoded = decode_payload("StatusNotification", payload)
    assert [f.code for f in decoded.faults] == ["CX011"] and decoded.warnings == ()
    assert decoded.reports[0].rule is SetRule.ACCUMULATE


def test_chargex_code_without_vendor_id_is_recognised_by_its_form() -> None:
    decoded = decode_payload("StatusNotification", status_payload(vendorErrorCode="CX011"))
    assert [(f.scheme, f.code) for f in decoded.faults] == [("chargex-mrec", "CX011")]
    assert decoded.reports[0].rule is SetRule.ACCUMULATE  # still ChargeX's rule
    assert rules(decoded) == ["vendor-id-missing"]


# ---- input forms ------------------------------------------------------------------------------

FRAME = [2, "77", "StatusNotification", status_payload(errorCode="GroundFailure")]


@pytest.mark.parametrize(
    "line",
    [
        "2024-05-01T10:00:00Z CP-17 <- " + orjson.dumps(FRAME).decode(),
        "[2024-05-01 10:00:00] [CP-17] recv " + orjson.dumps(FRAME).decode() + " (3 ms)",
        "CP-17 -> " + orjson.dumps(FRAME[3]).decode(),
        orjson.dumps(orjson.dumps(FRAME).decode()).decode(),  # a frame logged as a JSON string
        "[0, 7, 1] CP-17 <- " + orjson.dumps(FRAME).decode(),  # a prefix that parses as JSON
    ],
    ids=[
        "time-id-arrow",
        "bracketed-prefix-and-tail",
        "payload-behind-arrow",
        "json-string",
        "json-like-prefix",
    ],
)
def test_log_lines_find_the_message(line: str) -> None:
    decoded = decode_text(line)
    assert [(f.scheme, f.code) for f in decoded.faults] == [("ocpp1.6", "GroundFailure")]
    assert "unreadable" not in rules(decoded)


def test_log_line_prefix_is_kept_for_the_log_analyser() -> None:
    decoded = decode_text("2024-05-01T10:00:00Z CP-17 <- " + orjson.dumps(FRAME).decode())
    assert decoded.prefix == "2024-05-01T10:00:00Z CP-17 <-"
    assert decoded.message_id == "77"
    assert decode_text(orjson.dumps(FRAME)).prefix is None


def test_a_byte_order_mark_is_not_a_prefix() -> None:
    decoded = decode_text("\ufeff" + orjson.dumps(FRAME).decode())
    assert decoded.prefix is None and [f.code for f in decoded.faults] == ["GroundFailure"]


def test_every_entry_point_gives_the_same_result_for_the_same_message() -> None:
    text = orjson.dumps(FRAME).decode()
    expected = decode_frame(FRAME)
    assert decode_text(text) == expected
    assert decode_frame(text) == expected
    assert decode(FRAME) == expected
    assert decode(text.encode()) == expected
    payload_only = decode_payload("StatusNotification", orjson.dumps(FRAME[3]))
    assert payload_only.reports == expected.reports


def test_bare_payload_action_is_guessed_from_its_keys() -> None:
    assert decode_payload(None, FRAME[3]).action == "StatusNotification"
    assert decode(notify_event(event(techCode="CX001"))).action == "NotifyEvent"


def test_replies_and_other_actions_have_no_reports() -> None:
    result = decode_text('[3,"77",{}]')
    error = decode_text('[4,"77","NotImplemented","no",{}]')
    boot = decode_text('[2,"1","BootNotification",{"chargePointVendor":"X"}]')
    assert (result.reports, result.warnings, result.message_id) == ((), (), "77")
    assert (error.reports, error.warnings) == ((), ())
    assert (boot.action, boot.reports, boot.warnings) == ("BootNotification", (), ())


@pytest.mark.parametrize(
    "bad", ["", "   ", "not json at all", "[1,2", "42", "null", b"\xff\xfe", '["\ud800"]']
)
def test_unreadable_input_is_a_warning_not_an_exception(bad: str | bytes) -> None:
    decoded = decode_text(bad)
    assert decoded.reports == () and rules(decoded) == ["unreadable"]


def test_timestamps_with_offsets_and_fractions_parse() -> None:
    payload = status_payload(errorCode="NoError", timestamp="2024-05-01T12:00:00.250+02:00")
    decoded = decode_payload(None, payload)
    moment = decoded.reports[0].timestamp
    assert moment == datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert rules(decoded) == ["timestamp-not-utc"]  # MREC requires UTC


def test_a_decoder_on_another_catalog_keeps_codes_unknown() -> None:
    from evfault.catalog.catalog import Catalog

    empty = Decoder(catalog=Catalog([], []))
    decoded = empty.decode_text(sample_lines("evgo_mrec.jsonl")[1])
    (fault,) = decoded.faults
    assert (fault.scheme, fault.code, fault.known, fault.vendor_id) == (
        "unknown",
        "F000",
        False,
        EVGO,
    )
