"""Self-healing decisions: which action is due on an error, and whether the last one worked.

Pure: plain values in, plain values out. The healer (healer.py) reads the active errors and
the attempts made so far, asks `next_action` for each error of a charger it holds, records the
attempt before sending the command, and later asks `verdicts` whether each attempt cleared its
error: cleared while waiting → it worked (fixed remotely); still active after the rule's
`verify` time → it did not, and the rule's next action (a hard reset after a soft one) is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evfault.alerts.engine import Subject
from evfault.alerts.rules import Action, HealingRule, RuleSet

# Connector statuses that mean a car is charging or in a session (1.6; 2.0.1 reports the
# transaction separately, and its Occupied only says a cable is plugged in).
IN_SESSION = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE"})


@dataclass(frozen=True, slots=True)
class Attempt:
    """One self-healing action on one incident, as recorded on it (`actions` in the API)."""

    incident_id: str
    charger_id: str
    connector_id: int | None
    rule: str
    action: Action
    step: int  # its place in the rule's actions: 0 for the first
    at: datetime
    status: str = "pending"  # the command's status (accepted, rejected, timeout, …)
    answer: Any = None  # the charger's answer
    error: str | None = None
    cleared: bool | None = None  # None until known: did the error clear afterwards?
    checked_at: datetime | None = None
    id: int | None = None

    @property
    def waiting(self) -> bool:
        return self.cleared is None


@dataclass(frozen=True, slots=True)
class Plan:
    rule: HealingRule
    subject: Subject
    action: Action
    step: int


def rule_for(rules: RuleSet, subject: Subject) -> HealingRule | None:
    if subject.offline:
        return None
    return rules.healing_for(code=subject.code, scheme=subject.scheme,
                             severity=subject.severity, charger_id=subject.charger_id,
                             status=subject.status)


def _in_window(rule: HealingRule, charger_attempts: Iterable[Attempt], now: datetime) -> int:
    return sum(1 for a in charger_attempts if now - a.at < rule.window)


def next_action(rules: RuleSet, subject: Subject, attempts: Sequence[Attempt],
                charger_attempts: Sequence[Attempt], now: datetime, in_session: bool
                ) -> Plan | None:
    """The action due now on an active error, or None (too early, waiting, done, or held back).

    `attempts`: those on this incident; `charger_attempts`: those on any incident of the
    charger (the rule's `max_attempts` per `window` counts them all)."""
    rule = rule_for(rules, subject)
    if rule is None or now - subject.since < rule.after:
        return None
    mine = [a for a in attempts if a.rule == rule.name]
    if any(a.waiting for a in mine) or len(mine) >= len(rule.actions):
        return None
    if _in_window(rule, charger_attempts, now) >= rule.max_attempts:
        return None
    if in_session and not rule.during_transaction:
        return None
    return Plan(rule, subject, rule.actions[len(mine)], len(mine))


def still_trying(rules: RuleSet, subject: Subject, attempts: Sequence[Attempt],
                 charger_attempts: Sequence[Attempt], now: datetime) -> bool:
    """Self-healing has not given up on this error: an action is still to come, or the last
    one's result is awaited. (Alert rules with `quiet_while_healing` stay quiet meanwhile.)"""
    rule = rule_for(rules, subject)
    if rule is None:
        return False
    mine = [a for a in attempts if a.rule == rule.name]
    if any(a.waiting for a in mine):
        return True
    if len(mine) >= len(rule.actions):
        return False
    return _in_window(rule, charger_attempts, now) < rule.max_attempts


def verdicts(rules: RuleSet, waiting: Iterable[Attempt], active: set[str], now: datetime
             ) -> list[tuple[Attempt, bool]]:
    """Attempts whose result is known now: (attempt, cleared)."""
    verify = {r.name: r.verify for r in rules.healing}
    found = []
    for attempt in waiting:
        limit = verify.get(attempt.rule)
        if attempt.status == "pending" and (limit is None or now - attempt.at < limit):
            continue  # the command itself is still on its way (a crash may leave it so)
        if attempt.incident_id not in active:
            found.append((attempt, True))
        elif limit is None or now - attempt.at >= limit:
            found.append((attempt, False))
    return found


def command_of(action: Action, connector_id: int | None) -> tuple[str, dict[str, Any]]:
    """The commander's command and arguments for an action."""
    connector = connector_id or 0
    if action is Action.SOFT_RESET:
        return "reset", {"type": "soft"}
    if action is Action.HARD_RESET:
        return "reset", {"type": "hard"}
    if action is Action.UNLOCK:
        return "unlock_connector", {"connector_id": max(1, connector)}
    return "change_availability", {"available": action is Action.OPERATIVE,
                                   "connector_id": connector}
