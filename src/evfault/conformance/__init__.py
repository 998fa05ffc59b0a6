"""Conformance of a charger's messages to OCPP 1.6 / 2.0.1 and MREC: a registry of small rules.

    >>> from evfault.conformance import check_text
    >>> report = check_text(open("charger.log").read())
    >>> report.failed, [f.rule for f in report.problems]
"""

from evfault.conformance.checker import Judge, Judged, check_lines, check_message, check_text
from evfault.conformance.model import CheckReport, Finding, Result, RuleInfo, RuleSummary, Severity
from evfault.conformance.registry import all_rules, rule_info

__all__ = [
    "CheckReport",
    "Finding",
    "Judge",
    "Judged",
    "Result",
    "RuleInfo",
    "RuleSummary",
    "Severity",
    "all_rules",
    "check_lines",
    "check_message",
    "check_text",
    "rule_info",
]
