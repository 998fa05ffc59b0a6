"""Self-healing decisions, pure: when an action is due, when it waits, when it gives up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from evfault.alerts.engine import Subject
from evfault.alerts.healing import Attempt, command_of, next_action, still_trying, verdicts
from evfault.alerts.rules import Action, parse_rules

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
RULES = parse_rules("""
self_healing:
  - name: restart
    match: {code: InternalError}
    after: 5m
    actions: [soft_reset, hard_reset]
    verify: 3m
    max_attempts: 3
    window: 24h
  - name: unlock-while-charging
    match: {code: ConnectorLockFailure}
    after: 1m
    actions: [unlock]
    during_transaction: true
""")
ERROR = Subject("i1", "CP-1", 1, "ocpp1.6", "InternalError", "Internal error", "critical", T0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def attempt(action: Action, step: int, minute: float, cleared: bool | None = None,
            incident: str = "i1", status: str = "accepted") -> Attempt:
    return Attempt(incident, "CP-1", 1, "restart", action, step, at(minute), status,
                   cleared=cleared)


def test_soft_reset_after_the_delay_never_before() -> None:
    assert next_action(RULES, ERROR, [], [], at(4.9), in_session=False) is None
    plan = next_action(RULES, ERROR, [], [], at(5), in_session=False)
    assert plan is not None and (plan.action, plan.step) == (Action.SOFT_RESET, 0)


def test_waits_for_the_verdict_then_hard_reset_then_gives_up() -> None:
    soft = attempt(Action.SOFT_RESET, 0, 5)
    assert next_action(RULES, ERROR, [soft], [soft], at(6), in_session=False) is None
    assert still_trying(RULES, ERROR, [soft], [soft], at(6))
    failed = replace(soft, cleared=False)
    plan = next_action(RULES, ERROR, [failed], [failed], at(8), in_session=False)
    assert plan is not None and plan.action is Action.HARD_RESET
    hard = attempt(Action.HARD_RESET, 1, 8, cleared=False)
    assert next_action(RULES, ERROR, [failed, hard], [failed, hard], at(20), False) is None
    assert not still_trying(RULES, ERROR, [failed, hard], [failed, hard], at(20))


def test_never_while_a_transaction_runs_unless_the_rule_says_so() -> None:
    assert next_action(RULES, ERROR, [], [], at(10), in_session=True) is None
    lock = replace(ERROR, code="ConnectorLockFailure")
    plan = next_action(RULES, lock, [], [], at(10), in_session=True)
    assert plan is not None and plan.action is Action.UNLOCK


def test_at_most_k_attempts_per_window_on_one_charger() -> None:
    earlier = [attempt(Action.SOFT_RESET, 0, m, cleared=False, incident=f"old{m}")
               for m in (0, 1, 2)]
    assert next_action(RULES, ERROR, [], earlier, at(10), in_session=False) is None
    assert not still_trying(RULES, ERROR, [], earlier, at(10))
    a_day_later = ERROR.since + timedelta(days=1, minutes=10)
    assert next_action(RULES, ERROR, [], earlier, a_day_later, in_session=False) is not None


def test_verdicts_cleared_when_gone_not_cleared_after_verify() -> None:
    soft = attempt(Action.SOFT_RESET, 0, 5)
    assert verdicts(RULES, [soft], {"i1"}, at(7)) == []
    assert verdicts(RULES, [soft], {"i1"}, at(8)) == [(soft, False)]
    assert verdicts(RULES, [soft], set(), at(6)) == [(soft, True)]
    on_its_way = replace(soft, status="pending")
    assert verdicts(RULES, [on_its_way], set(), at(6)) == []  # the answer is not back yet
    assert verdicts(RULES, [on_its_way], {"i1"}, at(9)) == [(on_its_way, False)]


def test_errors_no_rule_covers_are_left_alone() -> None:
    other = replace(ERROR, code="GroundFailure")
    assert next_action(RULES, other, [], [], at(60), in_session=False) is None
    assert not still_trying(RULES, other, [], [], at(60))
    offline = Subject.offline_charger("CP-1", T0)
    assert not still_trying(RULES, offline, [], [], at(60))


def test_each_action_is_a_command_of_the_commander() -> None:
    assert command_of(Action.SOFT_RESET, 1) == ("reset", {"type": "soft"})
    assert command_of(Action.HARD_RESET, 1) == ("reset", {"type": "hard"})
    assert command_of(Action.UNLOCK, 2) == ("unlock_connector", {"connector_id": 2})
    assert command_of(Action.INOPERATIVE, 0) == (
        "change_availability", {"available": False, "connector_id": 0})
    assert command_of(Action.OPERATIVE, 3) == (
        "change_availability", {"available": True, "connector_id": 3})
