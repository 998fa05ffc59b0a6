"""Alert and self-healing rules as data, and the pure decisions on what alert is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evfault.alerts.channels import signature, verify_signature
from evfault.alerts.engine import Fired, Kind, Subject, due_messages, gone
from evfault.alerts.messages import email_text, payload, subject_line
from evfault.alerts.rules import Action, RuleError, parse_duration, parse_rules
from evfault.alerts.service import default_rules_text

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)

RULES = """
self_healing:
  - name: reset
    match: {code: InternalError}
    after: 2m
    actions: [soft_reset, hard_reset]
alerts:
  - name: critical
    match: {severity: critical, charger: "CP-*"}
    after: 10m
    repeat: 1h
    channels:
      - email: [ops@example.com, night@example.com]
      - webhook: https://hooks.example.com/evfault
  - name: offline
    match: {offline: true}
    after: 90s
    resolved: false
    channels: [{webhook: "http://127.0.0.1:9/x"}]
"""


def subject(key: str = "i1", charger: str = "CP-1", code: str = "InternalError",
            severity: str = "critical", since: datetime = T0) -> Subject:
    return Subject(key, charger, 1, "ocpp1.6", code, "Internal error", severity, since)


def test_a_rules_document_becomes_typed_rules() -> None:
    rules = parse_rules(RULES)
    heal = rules.healing[0]
    assert heal.actions == (Action.SOFT_RESET, Action.HARD_RESET)
    assert heal.after == timedelta(minutes=2) and heal.max_attempts == 3
    critical, offline = rules.alerts
    assert critical.match.charger == ("CP-*",) and critical.repeat == timedelta(hours=1)
    assert [c.kind for c in critical.channels] == ["email", "webhook"]
    assert critical.channels[0].targets == ("ops@example.com", "night@example.com")
    assert offline.match.offline and offline.after == timedelta(seconds=90)
    assert not offline.resolved


@pytest.mark.parametrize(("text", "says"), [
    ("alerts: [{name: a, channels: [{email: nobody}]}]", "e-mail addresses"),
    ("alerts: [{name: a, channels: [{webhook: ftp://x}]}]", "http:// or https://"),
    ("alerts: [{name: a}]", "at least one channel"),
    ("alerts: [{name: a, after: soon, channels: [{email: a@b.c}]}]", "duration"),
    ("alerts: [{name: a, wait: 5m, channels: [{email: a@b.c}]}]", "unknown field 'wait'"),
    ("self_healing: [{name: h, actions: [reboot]}]", "'reboot' is not an action"),
    ("self_healing: [{name: h, actions: [soft_reset], match: {offline: true}}]", "offline"),
    ("self_healing: [{name: h, actions: [soft_reset], max_attempts: 0}]", "at least 1"),
    ("self_healing: [{actions: [soft_reset]}]", "needs a name"),
    ("alerts: [{name: a, channels: [{email: a@b.c}]}, {name: a, channels: [{email: a@b.c}]}]",
     "two alerts rules are named 'a'"),
    ("alerts: [unclosed", "not valid YAML"),
    ("- just a list", "must be a mapping"),
])
def test_a_mistake_is_one_sentence_naming_it(text: str, says: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text, "rules.yaml")
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_durations() -> None:
    assert parse_duration("90s", "x") == timedelta(seconds=90)
    assert parse_duration("2h", "x") == timedelta(hours=2)
    assert parse_duration(5, "x") == timedelta(minutes=5)
    assert parse_duration("250ms", "x") == timedelta(milliseconds=250)


def test_the_default_rules_restart_on_internal_error_and_alert_nobody() -> None:
    rules = parse_rules(default_rules_text())
    found = rules.healing_for(code="InternalError", scheme="ocpp1.6", severity="critical",
                              charger_id="X", status="Faulted")
    assert found is not None and found.actions == (Action.SOFT_RESET, Action.HARD_RESET)
    ground = rules.healing_for(code="GroundFailure", scheme="ocpp1.6", severity="critical",
                               charger_id="X", status="Faulted")
    assert ground is not None and ground.actions == (Action.SOFT_RESET,)
    assert ground.max_attempts == 1
    assert rules.healing_for(code="NoError", scheme="ocpp1.6", severity="info",
                             charger_id="X", status=None) is None
    assert rules.alerts == ()


def test_no_alert_before_the_delay_one_after_it() -> None:
    rules = parse_rules(RULES)
    s = subject()
    assert due_messages(rules, [s], {}, T0 + timedelta(minutes=9)) == []
    [due] = due_messages(rules, [s], {}, T0 + timedelta(minutes=10))
    assert (due.rule.name, due.kind, due.seq) == ("critical", Kind.ALERT, 0)


def test_unmatched_errors_raise_nothing() -> None:
    rules = parse_rules(RULES)
    later = T0 + timedelta(hours=1)
    assert due_messages(rules, [subject(severity="warning")], {}, later) == []
    assert due_messages(rules, [subject(charger="DEPOT-1")], {}, later) == []


def test_quiet_while_self_healing_is_trying() -> None:
    rules = parse_rules(RULES)
    later = T0 + timedelta(minutes=30)
    assert due_messages(rules, [subject()], {}, later, healing=lambda s: True) == []
    assert len(due_messages(rules, [subject()], {}, later, healing=lambda s: False)) == 1


def test_repeat_after_the_interval_then_resolved_when_it_clears() -> None:
    rules = parse_rules(RULES)
    s = subject()
    fired = {("critical", "i1"): Fired("critical", s, 1, T0 + timedelta(minutes=10))}
    assert due_messages(rules, [s], fired, T0 + timedelta(minutes=69)) == []
    [repeat] = due_messages(rules, [s], fired, T0 + timedelta(minutes=70))
    assert (repeat.kind, repeat.seq) == (Kind.REPEAT, 1)
    [resolved] = due_messages(rules, [], fired, T0 + timedelta(minutes=71))
    assert (resolved.kind, resolved.seq) == (Kind.RESOLVED, 1)
    assert gone(rules, [], fired) == [("critical", "i1")]


def test_offline_chargers_have_their_own_rules_and_no_resolved_when_asked() -> None:
    rules = parse_rules(RULES)
    off = Subject.offline_charger("CP-9", T0)
    [due] = due_messages(rules, [off], {}, T0 + timedelta(seconds=90))
    assert due.rule.name == "offline"  # "critical" does not match a charger being offline
    fired = {("offline", off.key): Fired("offline", off, 1, T0)}
    assert due_messages(rules, [], fired, T0 + timedelta(hours=1)) == []


def test_the_same_message_always_has_the_same_key() -> None:
    rules = parse_rules(RULES)
    a = due_messages(rules, [subject()], {}, T0 + timedelta(minutes=11))[0]
    b = due_messages(rules, [subject()], {}, T0 + timedelta(minutes=12))[0]
    other = due_messages(rules, [subject(key="i2")], {}, T0 + timedelta(minutes=12))[0]
    assert a.key == b.key != other.key


def test_what_a_message_says() -> None:
    rules = parse_rules(RULES)
    [due] = due_messages(rules, [subject()], {}, T0 + timedelta(minutes=75))
    p = payload(due)
    assert p["incident_id"] == "i1" and p["active_for_s"] == 4500 and p["since"].endswith("Z")
    assert subject_line(p) == "[evfault] CP-1 connector 1 InternalError (critical)"
    assert "Active for 1 h 15 min" in email_text(p)


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body = b'{"id": "x"}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("k", "1700000000", body) == f"sha256={expected}"
    assert verify_signature("k", "1700000000", body, f"sha256={expected}", now=1700000100)
    assert not verify_signature("k", "1700000000", body + b" ", f"sha256={expected}",
                                now=1700000100)
    assert not verify_signature("other", "1700000000", body, f"sha256={expected}",
                                now=1700000100)
    assert not verify_signature("k", "1700000000", body, f"sha256={expected}",
                                now=1700009999)  # too old: a replay


def test_a_code_with_line_breaks_cannot_add_mail_headers() -> None:
    rules = parse_rules(RULES)
    evil = subject(code="X\r\nBcc: someone@example.com")
    [due] = due_messages(rules, [evil], {}, T0 + timedelta(minutes=10))
    line = subject_line(payload(due))
    assert "\n" not in line and "\r" not in line and "Bcc: someone@example.com" in line
