"""The conformance checker: the spec's samples pass, each broken message fails its rule only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evfault.conformance import Result, all_rules, check_lines, check_text, rule_info
from evfault.conformance.frames import charger_id

SAMPLES = Path(__file__).resolve().parent / "samples"
BROKEN = SAMPLES / "broken"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "conformance.md"
RULE_IDS = [r.info.id for r in all_rules()]

# The ChargeX (INL) 1.6 examples, with their hyphenated timestamps.
CHARGEX_EXAMPLES = [
    {"connectorId": 1, "errorCode": "UnderVoltage", "info": "0", "status": "Faulted",
     "timestamp": "2023-09-06T00-08-09Z", "vendorId": "https://chargex.inl.gov",
     "vendorErrorCode": "CX006"},
    {"connectorId": 1, "errorCode": "OtherError", "info": "", "status": "Faulted",
     "timestamp": "2023-09-06T00-08-09Z", "vendorId": "https://chargex.inl.gov",
     "vendorErrorCode": "CX011"},
    {"connectorId": 1, "errorCode": "OtherError", "info": "105", "status": "Faulted",
     "timestamp": "2023-09-06T00-08-09Z", "vendorId": "https://chargex.inl.gov",
     "vendorErrorCode": "CX019"},
]


def _frame(payload: dict[str, object], action: str = "StatusNotification") -> str:
    return json.dumps([2, "1", action, payload])


def _lines(path: Path) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(path.read_text().splitlines(), start=1)
            if line.strip()]


def test_every_evgo_sample_passes_every_rule() -> None:
    report = check_text((SAMPLES / "evgo_mrec.jsonl").read_text())
    assert report.messages == 18
    assert report.problems == ()
    assert not report.failed
    by_rule = {s.rule.id: s for s in report.summaries}
    # The MREC rules really looked at them: every sample was judged on status and vendorId.
    assert by_rule["mrec-status"].count(Result.PASS) == 18
    assert by_rule["mrec-vendor-id"].count(Result.PASS) == 18
    assert by_rule["mrec-threshold"].count(Result.PASS) >= 6


@pytest.mark.parametrize("payload", CHARGEX_EXAMPLES, ids=lambda p: str(p["vendorErrorCode"]))
def test_chargex_examples_fail_on_the_timestamp_and_pass_once_it_is_fixed(
    payload: dict[str, object]
) -> None:
    report = check_text(_frame(payload))
    assert {(f.rule, f.result) for f in report.problems} == {("timestamp-format", Result.FAIL)}
    assert "2023-09-06T00-08-09Z" in report.problems[0].message
    fixed = check_text(_frame({**payload, "timestamp": "2023-09-06T00:08:09Z"}))
    assert fixed.problems == ()


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_broken_examples(rule_id: str) -> None:
    assert (BROKEN / f"{rule_id}.jsonl").exists()


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.jsonl")), ids=lambda p: p.stem)
def test_each_broken_message_fails_its_rule_and_only_it(path: Path) -> None:
    info = rule_info(path.stem)
    lines = _lines(path)
    assert lines, f"{path.name} has no examples"
    for number, line in lines:
        report = check_lines([(number, line)])
        found = [(f.rule, f.result) for f in report.problems]
        assert found == [(info.id, Result(info.severity.value))], f"{path.name}:{number}: {found}"


def test_failures_and_warnings_decide_the_verdict() -> None:
    assert check_text((BROKEN / "mrec-threshold.jsonl").read_text()).failed
    warned = check_text((BROKEN / "mrec-reading-missing.jsonl").read_text())
    assert warned.problems and not warned.failed


def test_findings_per_message_and_a_summary_per_rule() -> None:
    text = (SAMPLES / "evgo_mrec.jsonl").read_text().splitlines()[0] + "\n" + \
        (BROKEN / "mrec-threshold.jsonl").read_text().splitlines()[0]
    report = check_text(text)
    assert {f.line for f in report.findings} == {1, 2}
    summary = {s.rule.id: s for s in report.summaries}["mrec-threshold"]
    assert summary.lines[Result.PASS] == [1]
    assert summary.lines[Result.FAIL] == [2]
    shape = report.as_dict()
    assert shape["ok"] is False and shape["messages"] == 2
    rules = {r["id"]: r for r in shape["rules"]}  # type: ignore[attr-defined]
    assert rules["mrec-threshold"]["fail"] == 1
    assert rules["mrec-threshold"]["lines"]["fail"] == [2]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("2024-05-01T10:00:00Z CP-17 <-", "CP-17"),
        ("[2024-05-01 10:00:00,123] [CP-9] recv:", "CP-9"),
        ("2024-05-01 10:00:00.123+02:00 INFO cp_42 >>", "cp_42"),
        ("", None),
    ],
)
def test_a_log_prefix_gives_the_charger_id(prefix: str, expected: str | None) -> None:
    assert charger_id(prefix) == expected
    sample = (SAMPLES / "evgo_mrec.jsonl").read_text().splitlines()[0]
    report = check_text(f"{prefix} {sample}")
    assert report.problems == ()
    assert {f.charger_id for f in report.findings} == {expected}


def test_answers_are_checked_against_the_call_they_answer() -> None:
    call = [2, "b1", "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "X"}]
    answer = [3, "b1", {"status": "Accepted", "currentTime": "2022-06-10T14:51:17Z"}]
    stranger = [3, "zz", {"whatever": 1}]
    report = check_text("\n".join(json.dumps(f) for f in (call, answer, stranger)))
    assert [(f.line, f.rule) for f in report.problems] == [(2, "ocpp-schema")]
    assert "BootNotificationResponse" in report.problems[0].message
    assert "interval" in report.problems[0].message


def test_calls_from_different_chargers_do_not_pair_up() -> None:
    call = json.dumps([2, "1", "Heartbeat", {}])
    answer = json.dumps([3, "1", {"currentTime": "2022-06-10T14:51:17Z"}])
    paired = check_text(f"CP-1 {call}\nCP-1 {answer}")
    unpaired = check_text(f"CP-1 {call}\nCP-2 {answer}")
    assert [f.rule for f in paired.findings if f.line == 2] == [
        "frame", "ocpp-schema", "unknown-field", "cistring-length", "timestamp-format"]
    assert [f.rule for f in unpaired.findings if f.line == 2] == ["frame"]


def test_a_bare_payload_is_checked_as_its_request() -> None:
    payload = json.loads((SAMPLES / "evgo_mrec.jsonl").read_text().splitlines()[1])[3]
    report = check_text(json.dumps({**payload, "info": "1.50"}))
    assert [f.rule for f in report.problems] == ["mrec-threshold"]


def test_2_0_1_messages_are_told_apart_and_checked_with_their_schema() -> None:
    status = {"timestamp": "2022-06-10T14:51:17Z", "connectorStatus": "Faulted",
              "evseId": 1, "connectorId": 1}
    report = check_text(_frame(status))
    assert report.problems == ()
    assert "OCPP 2.0.1 StatusNotification" in next(
        f.message for f in report.findings if f.rule == "ocpp-schema")


def test_blank_lines_and_comments_are_skipped() -> None:
    report = check_text("# captured at site 7\n\n" +
                        (SAMPLES / "evgo_mrec.jsonl").read_text().splitlines()[0])
    assert report.messages == 1
    assert {f.line for f in report.findings} == {3}


def test_rules_are_described_and_documented() -> None:
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    documented = DOCS.read_text()
    for found in all_rules():
        assert "\n" not in found.info.description and found.info.description.endswith(".")
        assert f"`{found.info.id}`" in documented, f"{found.info.id} is missing from the docs"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=5))
def test_any_text_is_judged_never_crashes(lines: list[str]) -> None:
    report = check_lines(enumerate(lines, start=1))
    assert all(f.result in Result for f in report.findings)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["connectorId", "errorCode", "status", "info", "vendorId",
                         "vendorErrorCode", "timestamp", "eventData", "techCode"]),
        inner, max_size=6),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(message_type=st.sampled_from([2, 3, 4]), action=st.sampled_from(
    ["StatusNotification", "NotifyEvent", "BootNotification", "Nope"]), payload=_json)
def test_any_frame_shape_is_judged_never_crashes(message_type: int, action: str,
                                                 payload: object) -> None:
    report = check_text(json.dumps([message_type, "1", action, payload]))
    assert report.messages == 1


def test_the_status_rule_says_what_was_expected_and_what_was_seen() -> None:
    frame = _frame({"connectorId": 1, "errorCode": "OtherError", "info": "1.11",
                    "status": "Faulted", "timestamp": "2022-06-10T14:51:17Z",
                    "vendorId": "com.evgo.mrec", "vendorErrorCode": "F001"})
    (finding,) = check_text(frame).problems
    assert finding.rule == "mrec-status" and finding.result is Result.FAIL
    assert finding.message == "F001 expects status Finishing; the charger reported Faulted"


def test_a_status_shown_only_in_the_sample_message_is_a_warning() -> None:
    # ChargeX prescribes no status: its sample message for CX011 happens to say Faulted.
    frame = _frame({"connectorId": 1, "errorCode": "OtherError", "info": "",
                    "status": "Charging", "timestamp": "2023-09-06T00:08:09Z",
                    "vendorId": "https://chargex.inl.gov", "vendorErrorCode": "CX011"})
    report = check_text(frame)
    (finding,) = report.problems
    assert finding.rule == "mrec-status" and finding.result is Result.WARNING
    assert "CX011 expects status Faulted" in finding.message
    assert finding.message.endswith("the charger reported Charging")
    assert not report.failed
