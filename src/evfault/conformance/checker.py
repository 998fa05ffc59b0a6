"""Check messages against every rule: lines in, a report out. Pure — the CLI and the server's
stored message log both feed it `(line number, raw text)` pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.conformance.frames import FrameReader, Message
from evfault.conformance.model import CheckReport, Finding, Result, RuleSummary
from evfault.conformance.registry import Rule, all_rules
from evfault.conformance.subject import subject


def check_lines(lines: Iterable[tuple[int, str]], catalog: Catalog | None = None) -> CheckReport:
    """Check every line (blank lines and # comments are skipped).

    `lines` can be any iterable of (line number, raw text): a file, stdin, or rows of the
    server's message log for one charger, numbered however the caller wants them shown.
    """
    cat = catalog if catalog is not None else default_catalog()
    rules = all_rules()
    findings: list[Finding] = []
    messages = 0
    for message in FrameReader().read(lines):
        messages += 1
        findings.extend(check_message(message, cat, rules))
    return CheckReport(messages, tuple(findings), summarize(rules, findings))


def check_text(text: str, catalog: Catalog | None = None) -> CheckReport:
    """Check a block of text, one frame per line, numbered from 1."""
    return check_lines(enumerate(text.splitlines(), start=1), catalog)


def check_message(message: Message, catalog: Catalog, rules: Sequence[Rule]) -> list[Finding]:
    """One finding per rule that applies to the message."""
    subj = subject(message, catalog)
    found = []
    for rule in rules:
        verdict = rule.check(subj)
        if verdict is None:
            continue
        result = Result.PASS if verdict.passed else Result(rule.info.severity.value)
        found.append(Finding(message.line, rule.info.id, result, verdict.message,
                             message.charger_id))
    return found


def summarize(rules: Sequence[Rule], findings: Iterable[Finding]) -> tuple[RuleSummary, ...]:
    """Per rule, in registry order: pass / fail / warning counts and their line numbers."""
    summaries = {rule.info.id: RuleSummary(rule.info) for rule in rules}
    for finding in findings:
        summaries[finding.rule].add(finding)
    return tuple(summaries.values())
