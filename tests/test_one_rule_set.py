"""One rule set: the same frames give the same warnings through `evfault decode`, `evfault check`,
`POST /api/v1/decode` and the server's message path (which `evfault analyze` shares)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from evfault.cli import _register, app
from evfault.conformance import Result, all_rules, check_text
from evfault.conformance.rules_decode import JUDGED_ELSEWHERE
from evfault.decode import Rule
from evfault.pipeline import MessagePath, PathConfig
from evfault.tracking.tracker import Tracker, TrackerConfig
from evfault.web.decoding import decode_messages

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# (version of the connection, frame): real shapes from issue 8 and 9 and the MREC documents.
FRAMES: list[tuple[str, list[object]]] = [
    # issue 8: an over-long BootNotification field — decode was silent, check failed it
    ("1.6", [2, "b1", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC",
                                           "chargePointSerialNumber": "SN-" + "0" * 30}]),
    # issue 9: one extra field on a StatusNotification and on a BootNotification
    ("1.6", [2, "s1", "StatusNotification", {
        "connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted",
        "timestamp": "2026-11-28T15:12:12Z", "energyActiveImport": "12.5"}]),
    ("1.6", [2, "b2", "BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra",
                                           "meterFirmware": "1.2"}]),
    # issue 9: a 2.0.1 NotifyEvent whose `cleared` is the string "true"
    ("2.0.1", [2, "n1", "NotifyEvent", {
        "generatedAt": "2026-11-28T15:12:12Z", "seqNo": 0, "eventData": [{
            "eventId": 7, "timestamp": "2026-11-28T15:12:12Z", "trigger": "Alerting",
            "actualValue": "false", "cleared": "true", "techCode": "CX011",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
            "variable": {"name": "Problem"}}]}]),
    # issue 9: F001 under another vendor's vendorId is that vendor's code
    ("1.6", [2, "v1", "StatusNotification", {
        "connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
        "timestamp": "2026-11-28T15:12:12Z", "vendorId": "com.acme", "vendorErrorCode": "F001"}]),
    # ChargeX's published sample timestamp, hyphens in the time
    ("1.6", [2, "c1", "StatusNotification", {
        "connectorId": 1, "errorCode": "UnderVoltage", "info": "0", "status": "Faulted",
        "timestamp": "2023-09-06T00-08-09Z", "vendorId": "https://chargex.inl.gov",
        "vendorErrorCode": "CX006"}]),
    # EVgo compound codes, written loosely
    ("1.6", [2, "e1", "StatusNotification", {
        "connectorId": 1, "errorCode": "OtherError", "info": "1.11, 5.00", "status": "Faulted",
        "timestamp": "2022-06-10T14:51:17Z", "vendorId": "com.evgo.mrec",
        "vendorErrorCode": "f001, F003"}]),
]


def _pairs(warnings: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(w["rule"], w["message"]) for w in warnings]


def through_decode_cli(text: str) -> list[tuple[str, str]]:
    _register()
    result = CliRunner().invoke(app, ["decode", "--json", "-"], input=text)
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    return _pairs(record["warnings"])


def through_check(text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in check_text(text).findings if f.result is not Result.PASS]


def through_api(text: str) -> list[tuple[str, str]]:
    (decoded,) = decode_messages(text.encode())
    return [(w.rule, w.message) for w in decoded.warnings]


def through_server(version: str, text: str) -> list[tuple[str, str]]:
    ids = itertools.count(1)
    path = MessagePath(Tracker(TrackerConfig(), lambda: f"i{next(ids)}"), PathConfig(60))
    done = path.incoming("CP-1", version, text, T0)
    assert done.error is None, done.error  # heard, not refused
    return [(w.rule, w.message) for w in done.warnings]


@pytest.mark.parametrize(("version", "frame"), FRAMES, ids=[f[1][1] for f in FRAMES])
def test_the_same_frame_gets_the_same_warnings_everywhere(version: str, frame: list[object]
                                                          ) -> None:
    text = json.dumps(frame)
    checked = through_check(text)
    assert checked, "every frame here breaks some rule"
    assert through_decode_cli(text) == checked
    assert through_api(text) == checked
    assert through_server(version, text) == checked


def test_the_long_boot_field_decode_was_silent_about() -> None:
    text = json.dumps(FRAMES[0][1])
    assert [rule for rule, _ in through_decode_cli(text)] == ["cistring-length"]


def test_extra_fields_are_a_warning_not_a_failure() -> None:
    for _, frame in FRAMES[1:3]:
        report = check_text(json.dumps(frame))
        flagged = [f for f in report.problems if f.rule == "unknown-field"]
        assert flagged and flagged[0].result is Result.WARNING
    assert not check_text(json.dumps(FRAMES[2][1])).failed


def test_every_decoder_observation_is_a_rule_or_judged_by_one() -> None:
    ids = {r.info.id for r in all_rules()}
    for observation in Rule:
        judge = JUDGED_ELSEWHERE.get(observation, observation.value)
        assert judge in ids, f"{observation.value} is neither a rule nor judged by one"


def test_the_servers_memo_gives_what_judging_afresh_gives() -> None:
    """The server remembers findings by payload with plain date-times left out; a time's form or
    zone, and any malformed value, still decide."""
    from evfault.conformance import Judge

    judge = Judge()
    base = dict(FRAMES[1][1][3])  # type: ignore[call-overload]
    variants = [base, {**base, "timestamp": "2026-11-29T01:02:03Z"},
                {**base, "timestamp": "2026-11-28T15:12:12+02:00"},
                {**base, "timestamp": "2026-02-30T15:12:12Z"},
                {**base, "timestamp": "2026-11-28 15:12:12"}, {**base, "extra2": 1}]
    for payload in variants * 2:  # the second round is answered from the memo
        fresh = Judge().call("1.6", "StatusNotification", payload).warnings
        assert judge.call_warnings("1.6", "StatusNotification", payload) == fresh
