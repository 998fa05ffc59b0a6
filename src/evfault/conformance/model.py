"""What the conformance checker produces: findings per message and a summary per rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Result(StrEnum):
    """How one message fared against one rule."""

    PASS = "pass"
    FAIL = "fail"
    WARNING = "warning"


class Severity(StrEnum):
    """What breaking a rule means: FAIL makes `evfault check` exit non-zero, WARNING does not."""

    FAIL = "fail"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule applied to one message."""

    line: int
    rule: str
    result: Result
    message: str
    charger_id: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "charger_id": self.charger_id,
            "rule": self.rule,
            "result": self.result.value,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as people and programs see it: stable id, one line, severity."""

    id: str
    description: str
    severity: Severity
    group: str  # "ocpp" or "mrec"


@dataclass(slots=True)
class RuleSummary:
    """How many messages passed, failed or were warned about one rule, and on which lines."""

    rule: RuleInfo
    lines: dict[Result, list[int]] = field(
        default_factory=lambda: {result: [] for result in Result}
    )

    def add(self, finding: Finding) -> None:
        self.lines[finding.result].append(finding.line)

    def count(self, result: Result) -> int:
        return len(self.lines[result])

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.rule.id,
            "description": self.rule.description,
            "severity": self.rule.severity.value,
            **{result.value: self.count(result) for result in Result},
            "lines": {result.value: list(self.lines[result]) for result in Result},
        }


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything one run of the checker found."""

    messages: int  # lines that held something to check
    findings: tuple[Finding, ...]
    summaries: tuple[RuleSummary, ...]

    @property
    def failed(self) -> bool:
        """True when any rule failed on any message (warnings do not count)."""
        return any(f.result is Result.FAIL for f in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        """The findings that did not pass, in line order."""
        return tuple(f for f in self.findings if f.result is not Result.PASS)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": not self.failed,
            "messages": self.messages,
            "rules": [s.as_dict() for s in self.summaries],
            "findings": [f.as_dict() for f in self.findings],
        }
