"""The rule registry: each rule is a small function with a stable id, a line of text and a
severity. A rule looks at one thing; where a field it needs is missing or of the wrong type it
answers None (does not apply), because the schema rule already reports that — so one broken
field makes one finding, not five.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evfault.conformance.model import RuleInfo, Severity
from evfault.conformance.subject import Subject


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a rule says about one message: passed or not, and one sentence why."""

    passed: bool
    message: str
    # A rule that fails may judge one case only worth a warning (a status the standard shows
    # only in a sample message, not in a rule).
    soft: bool = False


def ok(message: str) -> Verdict:
    return Verdict(True, message)


def bad(message: str) -> Verdict:
    return Verdict(False, message)


def doubtful(message: str) -> Verdict:
    """Not passed, but a warning whatever the rule's severity."""
    return Verdict(False, message, soft=True)


Check = Callable[[Subject], Verdict | None]


@dataclass(frozen=True, slots=True)
class Rule:
    info: RuleInfo
    check: Check
    # Ids of rules that judge the same defect more closely: when one of them applies to a
    # message, this rule's finding on it is left out, so one defect is one finding.
    yields_to: tuple[str, ...] = ()


RULES: list[Rule] = []
_GROUP_ORDER = {"ocpp": 0, "mrec": 1}  # OCPP's own rules first, then MREC's


def rule(
    rule_id: str, description: str, severity: Severity = Severity.FAIL, group: str = "ocpp",
    yields_to: tuple[str, ...] = (),
) -> Callable[[Check], Check]:
    """Register a rule function under a stable id (ids are an interface: never rename one)."""

    def register(check: Check) -> Check:
        if any(r.info.id == rule_id for r in RULES):
            raise ValueError(f"rule {rule_id} is registered twice")
        RULES.append(Rule(RuleInfo(rule_id, description, severity, group), check, yields_to))
        return check

    return register


def all_rules() -> tuple[Rule, ...]:
    """Every rule, in the order they are reported (importing the rule modules registers them)."""
    from evfault.conformance import rules_decode, rules_mrec, rules_ocpp  # noqa: F401

    return tuple(sorted(RULES, key=lambda r: _GROUP_ORDER.get(r.info.group, len(_GROUP_ORDER))))


def rule_info(rule_id: str) -> RuleInfo:
    for found in all_rules():
        if found.info.id == rule_id:
            return found.info
    raise KeyError(rule_id)
