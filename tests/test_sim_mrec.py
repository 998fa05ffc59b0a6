"""The MREC encoder: builds what the standards prescribe, refuses what they do not allow."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from evfault.catalog import default_catalog
from evfault.conformance import check_lines
from evfault.conformance.schemas import validate
from evfault.sim.mrec import (
    Condition,
    MrecError,
    build_no_error,
    build_notify_event,
    build_resolved,
    build_status_notification,
    format_reading,
    utc_text,
)

SAMPLES = Path(__file__).resolve().parent / "samples"
WHEN = datetime(2022, 6, 10, 14, 51, 17, tzinfo=UTC)


def _sample_payloads() -> list[dict[str, object]]:
    lines = (SAMPLES / "evgo_mrec.jsonl").read_text().splitlines()
    return [json.loads(line)[3] for line in lines if line.strip()]


def _conditions(payload: dict[str, object]) -> list[Condition]:
    codes = str(payload["vendorErrorCode"]).split(",")
    info = str(payload["info"])
    readings = info.split(",") if info else [""] * len(codes)
    return [Condition(c, float(r) if r else None) for c, r in zip(codes, readings, strict=True)]


@pytest.mark.parametrize("sample", _sample_payloads(), ids=lambda p: str(p["vendorErrorCode"]))
def test_every_evgo_sample_is_rebuilt_exactly(sample: dict[str, object]) -> None:
    built = build_status_notification(
        _conditions(sample), connector_id=int(str(sample["connectorId"])), timestamp=WHEN)
    assert built == sample


def test_compound_example_of_the_spec() -> None:
    built = build_status_notification([Condition("F001", 1.11), Condition("F003", 5.0)],
                                      connector_id=1, timestamp=WHEN)
    assert built["vendorErrorCode"] == "F001,F003"
    assert built["info"] == "1.11,5.00"
    assert built["status"] == "Finishing"


def test_faulted_wins_when_compound_codes_prescribe_different_statuses() -> None:
    built = build_status_notification([Condition("F001", 1.0), Condition("F004")],
                                      connector_id=1, timestamp=WHEN)
    assert built["status"] == "Faulted"
    assert built["info"] == "1.00,"


@pytest.mark.parametrize(
    ("conditions", "connector", "scheme", "says"),
    [
        ([Condition("F001", 1.50)], 1, "evgo", "does not trip"),
        ([Condition("F000", 1.80)], 1, "evgo", "does not trip"),
        ([Condition("F008", 60)], 1, "evgo", "does not trip"),
        ([Condition("F003", 5.471)], 1, "evgo", "does not trip"),  # rounds to 5.47: not below
        ([Condition("F006", 50_000, output_voltage=400)], 1, "evgo", "at 400 V"),
        ([Condition("F011")], 1, "evgo", "not a code of evgo-mrec"),
        ([Condition("CX011")], 1, "evgo", "is a chargex-mrec code"),
        ([Condition("F001", 1.0), Condition("CX011")], 1, "evgo", "one scheme only"),
        ([Condition("F005")], 1, "chargex", "is a evgo-mrec code"),
        ([Condition("A004")], 1, "evgo", "connectorId 0, not 1"),
        ([Condition("F004")], 0, "evgo", "reserved for codes about the whole charger"),
        ([Condition("F004", 3.0)], 1, "evgo", "carries no reading"),
        ([Condition("F001", float("nan"))], 1, "evgo", "not a number"),
        ([Condition("F001", 1.0), Condition("F001", 1.1)], 1, "evgo", "listed twice"),
        ([], 1, "evgo", "no conditions"),
        ([Condition("F004")], -1, "evgo", "non-negative"),
        ([Condition("F004")], 1, "tesla", "unknown MREC scheme"),
    ],
)
def test_refuses_non_conforming_messages(
    conditions: list[Condition], connector: int, scheme: str, says: str
) -> None:
    with pytest.raises(MrecError, match=says):
        build_status_notification(conditions, connector_id=connector, scheme=scheme,
                                  timestamp=WHEN)


def test_refuses_a_compound_list_longer_than_cistring50() -> None:
    eleven = [Condition(c) for c in ("A000", "A001", "A002", "A003", "A005", "F004", "F005",
                                     "F010", "F006", "F007", "F009")]
    with pytest.raises(MrecError, match="vendorErrorCode would be 54 characters"):
        build_status_notification(eleven, connector_id=1, timestamp=WHEN)


def test_refuses_info_longer_than_cistring50() -> None:
    readings = [Condition("F006", 123456789.12), Condition("F007", 123456789.12),
                Condition("F008", 123456789.12), Condition("F009", 123456789.12),
                Condition("F001", 0.01)]
    with pytest.raises(MrecError, match="info would be"):
        build_status_notification(readings, connector_id=1, timestamp=WHEN)


def test_refuses_a_status_other_than_the_prescribed_one() -> None:
    with pytest.raises(MrecError, match="status Finishing, not Faulted"):
        build_status_notification([Condition("F001", 1.0)], connector_id=1, status="Faulted",
                                  timestamp=WHEN)


def test_timestamps_are_utc_with_z_and_naive_ones_are_refused() -> None:
    local = datetime(2022, 6, 10, 16, 51, 17, tzinfo=timezone(timedelta(hours=2)))
    assert utc_text(local) == "2022-06-10T14:51:17Z"
    with pytest.raises(MrecError, match="no time zone"):
        utc_text(datetime(2022, 6, 10, 14, 51, 17))


def test_readings_keep_the_precision_of_threshold_and_reading() -> None:
    measurement = default_catalog().get("evgo-mrec", "F007").measurement  # > 5 µF
    assert measurement is not None
    assert format_reading(5.4, measurement) == "5.4"
    assert format_reading(10, measurement) == "10"
    volts = default_catalog().get("evgo-mrec", "F001").measurement
    assert volts is not None
    assert format_reading(1.1, volts) == "1.10"


def test_chargex_code_travels_with_its_own_ocpp_error_code() -> None:
    built = build_status_notification([Condition("CX006", 0)], connector_id=1,
                                      scheme="chargex", timestamp=WHEN)
    assert built["errorCode"] == "UnderVoltage"
    assert built["vendorId"] == "https://chargex.inl.gov"
    assert built["info"] == "0"
    mixed = build_status_notification([Condition("CX002"), Condition("CX006", 0)],
                                      connector_id=1, scheme="chargex", timestamp=WHEN)
    assert mixed["errorCode"] == "OtherError"  # two codes with different OCPP codes


def test_resolved_notice_and_no_error() -> None:
    resolved = build_resolved("cx002", connector_id=1, status="Available", timestamp=WHEN)
    assert resolved == {
        "connectorId": 1, "errorCode": "GroundFailure", "info": "Error CX002 resolved",
        "status": "Available", "timestamp": "2022-06-10T14:51:17Z",
        "vendorId": "https://chargex.inl.gov", "vendorErrorCode": "CX002",
    }
    assert build_no_error(connector_id=2, status="Available", timestamp=WHEN) == {
        "connectorId": 2, "errorCode": "NoError", "status": "Available",
        "timestamp": "2022-06-10T14:51:17Z",
    }


def test_everything_built_passes_the_conformance_checker() -> None:
    payloads = [
        build_status_notification([Condition("F001", 1.11), Condition("F003", 5.0)],
                                  connector_id=1, timestamp=WHEN),
        build_status_notification([Condition("A004")], connector_id=0, timestamp=WHEN),
        build_status_notification([Condition("CX006", 0)], connector_id=1, scheme="chargex",
                                  timestamp=WHEN),
        build_resolved("CX006", connector_id=1, status="Available", timestamp=WHEN),
    ]
    lines = [json.dumps([2, str(n), "StatusNotification", p]) for n, p in enumerate(payloads)]
    event = build_notify_event("CX019", evse_id=1, connector_id=1, event_id=7, reading=105,
                               timestamp=WHEN)
    lines.append(json.dumps([2, "e", "NotifyEvent", event]))
    report = check_lines(enumerate(lines, start=1))
    assert report.problems == ()


def test_notify_event_raises_and_clears_on_the_problem_variable() -> None:
    raised = build_notify_event("CX019", evse_id=2, connector_id=1, event_id=7, reading=105,
                                timestamp=WHEN)
    validate("2.0.1", "NotifyEvent", raised)
    event = raised["eventData"][0]
    assert event["techCode"] == "CX019"
    assert event["trigger"] == "Alerting"
    assert event["eventNotificationType"] == "HardWiredNotification"
    assert event["variable"] == {"name": "Problem"}
    assert event["component"] == {"name": "EVSE", "evse": {"id": 2, "connectorId": 1}}
    assert event["cleared"] is False
    assert event["actualValue"] == "105"
    cleared = build_notify_event("CX019", evse_id=2, connector_id=1, event_id=8, cleared=True,
                                 timestamp=WHEN)
    validate("2.0.1", "NotifyEvent", cleared)
    assert cleared["eventData"][0]["cleared"] is True
    assert cleared["eventData"][0]["actualValue"] == "false"


def test_notify_event_for_the_whole_station_and_its_refusals() -> None:
    station = build_notify_event("CX008", evse_id=0, connector_id=0, event_id=1, timestamp=WHEN)
    assert station["eventData"][0]["component"] == {"name": "ChargingStation"}
    with pytest.raises(MrecError, match="is a evgo-mrec code"):
        build_notify_event("F001", evse_id=1, connector_id=1, event_id=1)
    with pytest.raises(MrecError, match="not a code of chargex-mrec"):
        build_notify_event("CX099", evse_id=1, connector_id=1, event_id=1)
    with pytest.raises(MrecError, match="transactionId"):
        build_notify_event("CX002", evse_id=1, connector_id=1, event_id=1,
                           transaction_id="x" * 37)
