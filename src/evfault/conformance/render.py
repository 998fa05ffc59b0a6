"""A check report for people (Rich tables) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evfault.conformance.model import CheckReport, Finding, Result, RuleSummary

_STYLE = {Result.PASS: "green", Result.FAIL: "bold red", Result.WARNING: "yellow"}
_MAX_LINES_SHOWN = 12


def to_json(report: CheckReport) -> str:
    return orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode()


def print_report(report: CheckReport, console: Console, show_passes: bool = False) -> None:
    """The problems (or every finding), the summary per rule, then one line of verdict."""
    findings = report.findings if show_passes else report.problems
    if findings:
        console.print(_findings_table(findings))
    console.print(_summary_table(report.summaries))
    console.print(_verdict(report))


def _findings_table(findings: Sequence[Finding]) -> Table:
    chargers = any(f.charger_id for f in findings)  # a column only when the log names them
    table = Table(title="Findings", title_justify="left", show_lines=False)
    table.add_column("Line", justify="right")
    if chargers:
        table.add_column("Charger")
    table.add_column("Rule")
    table.add_column("Result")
    table.add_column("Message", overflow="fold")
    for f in findings:
        cells: list[str | Text] = [str(f.line)]
        if chargers:
            cells.append(f.charger_id or "")
        cells += [f.rule, Text(f.result.value, style=_STYLE[f.result]), f.message]
        table.add_row(*cells)
    return table


def _summary_table(summaries: Sequence[RuleSummary]) -> Table:
    table = Table(title="Rules", title_justify="left")
    table.add_column("Rule")
    table.add_column("Severity")
    table.add_column("Pass", justify="right")
    table.add_column("Fail", justify="right")
    table.add_column("Warn", justify="right")
    table.add_column("Lines not passing")
    for summary in summaries:
        table.add_row(
            summary.rule.id,
            summary.rule.severity.value,
            str(summary.count(Result.PASS)),
            _count(summary, Result.FAIL),
            _count(summary, Result.WARNING),
            _lines(summary.lines[Result.FAIL] + summary.lines[Result.WARNING]),
        )
    return table


def _count(summary: RuleSummary, result: Result) -> Text:
    n = summary.count(result)
    return Text(str(n), style=_STYLE[result] if n else "")


def _lines(lines: list[int]) -> str:
    ordered = sorted(set(lines))
    shown = ", ".join(str(n) for n in ordered[:_MAX_LINES_SHOWN])
    more = len(ordered) - _MAX_LINES_SHOWN
    return f"{shown} … (+{more})" if more > 0 else shown


def _verdict(report: CheckReport) -> Text:
    fails = sum(1 for s in report.summaries if s.count(Result.FAIL))
    warns = sum(1 for s in report.summaries if s.count(Result.WARNING))
    if fails:
        return Text(f"{report.messages} messages: {fails} rule(s) failed, {warns} warned.",
                    style="bold red")
    if warns:
        return Text(f"{report.messages} messages: no rule failed; {warns} rule(s) warned.",
                    style="yellow")
    return Text(f"{report.messages} messages: every rule passed.", style="green")
