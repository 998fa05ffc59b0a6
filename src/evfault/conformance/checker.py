"""Check messages against every rule: lines in, a report out. Pure — the CLI and the server's
stored message log both feed it `(line number, raw text)` pairs.

The rules here are the one rule set of evfault: `Judge` applies them for `evfault check`,
`evfault decode`, `POST /api/v1/decode`, the server (every CALL a charger sends) and
`evfault analyze`, so the same frame gets the same warnings everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.conformance import schemas
from evfault.conformance.frames import CALL, FrameReader, Message
from evfault.conformance.model import CheckReport, Finding, Result, RuleSummary
from evfault.conformance.registry import Rule, all_rules
from evfault.conformance.subject import subject
from evfault.decode import Decoded, Decoder, DecodeWarning, default_decoder


@dataclass(frozen=True, slots=True)
class Judged:
    """One message: as the frame reader saw it, as the decoder read it, and what the rules
    found. `decoded.warnings` are the findings that did not pass."""

    message: Message
    decoded: Decoded
    findings: tuple[Finding, ...]

    @property
    def warnings(self) -> tuple[DecodeWarning, ...]:
        return self.decoded.warnings


class Judge:
    """Reads and judges messages one by one with the one rule set. Keeps the calls it has seen,
    so a charger's CALLRESULT is checked against the schema of the call it answers."""

    def __init__(self, catalog: Catalog | None = None, decoder: Decoder | None = None) -> None:
        self.catalog = catalog if catalog is not None else default_catalog()
        if decoder is None:
            decoder = default_decoder() if catalog is None else Decoder(self.catalog)
        self.decoder = decoder
        self.rules = all_rules()
        self.reader = FrameReader()
        self._memo: dict[tuple[str, str, bytes], tuple[DecodeWarning, ...]] = {}

    def line(self, number: int, text: str) -> Judged:
        """A frame, a payload, or either behind a log prefix."""
        return self.message(self.reader.message(number, text.strip()))

    def message(self, message: Message) -> Judged:
        decoded = self.decoder.decode_text(message.raw, message.version)
        return self._judged(message, decoded)

    def call(self, version: str, action: str, payload: dict[str, Any],
             message_id: str | None = None) -> Judged:
        """A CALL a charger sent on a connection of `version` ("1.6", "2.0.1")."""
        known = version if action in schemas.actions(version) else None
        message = Message(0, "", None, CALL, message_id, action, payload, known)
        return self._judged(message, self.decoder.decode_payload(action, payload, version))

    def call_warnings(self, version: str, action: str, payload: dict[str, Any]
                      ) -> tuple[DecodeWarning, ...]:
        """What `call` finds, remembered: chargers repeat the same payloads all day with only
        their timestamps changing, and the server judges every one (see `_shape`)."""
        key = _shape(version, action, payload)
        if key is None:
            return self.call(version, action, payload).warnings
        found = self._memo.get(key)
        if found is None:
            found = self.call(version, action, payload).warnings
            if len(self._memo) >= MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = found
        return found

    def _judged(self, message: Message, decoded: Decoded) -> Judged:
        findings = tuple(check_message(message, self.catalog, self.rules, decoded))
        warnings = tuple(DecodeWarning(f.rule, f.message) for f in findings
                         if f.result is not Result.PASS)
        return Judged(message, replace(decoded, warnings=warnings), findings)


MEMO_SIZE = 8192
# A well-formed UTC-or-offset date-time: its digits never change a finding (only its form and its
# zone do), so they are left out of the memo's key. Days past 28 are kept, and so is anything
# malformed: those findings quote the value.
_PLAIN_TIME = re.compile(
    rb'"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d'
    rb'(?:\.\d{1,9})?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"'
)


def _shape(version: str, action: str, payload: dict[str, Any]) -> tuple[str, str, bytes] | None:
    """The memo key of a payload: its JSON with plain date-times reduced to their zone."""
    try:
        text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond what orjson writes (an int past 64 bits): judged every time
        return None
    return version, action, _PLAIN_TIME.sub(rb'"T\1"', text)


def check_lines(lines: Iterable[tuple[int, str]], catalog: Catalog | None = None) -> CheckReport:
    """Check every line (blank lines and # comments are skipped).

    `lines` can be any iterable of (line number, raw text): a file, stdin, or rows of the
    server's message log for one charger, numbered however the caller wants them shown.
    """
    judge = Judge(catalog)
    findings: list[Finding] = []
    messages = 0
    for message in judge.reader.read(lines):
        messages += 1
        findings.extend(judge.message(message).findings)
    return CheckReport(messages, tuple(findings), summarize(judge.rules, findings))


def check_text(text: str, catalog: Catalog | None = None) -> CheckReport:
    """Check a block of text, one frame per line, numbered from 1."""
    return check_lines(enumerate(text.splitlines(), start=1), catalog)


def check_message(message: Message, catalog: Catalog, rules: Sequence[Rule],
                  decoded: Decoded | None = None) -> list[Finding]:
    """One finding per rule that applies to the message (`decoded`: what the decoder made of
    it, for the rules whose judge is the decoder)."""
    subj = subject(message, catalog, decoded)
    verdicts = [(rule, rule.check(subj)) for rule in rules]
    applied = {rule.info.id for rule, verdict in verdicts if verdict is not None}
    found = []
    for rule, verdict in verdicts:
        if verdict is None or applied.intersection(rule.yields_to):
            continue
        if verdict.passed:
            result = Result.PASS
        else:
            result = Result.WARNING if verdict.soft else Result(rule.info.severity.value)
        found.append(Finding(message.line, rule.info.id, result, verdict.message,
                             message.charger_id))
    return found


def summarize(rules: Sequence[Rule], findings: Iterable[Finding]) -> tuple[RuleSummary, ...]:
    """Per rule, in registry order: pass / fail / warning counts and their line numbers."""
    summaries = {rule.info.id: RuleSummary(rule.info) for rule in rules}
    for finding in findings:
        summaries[finding.rule].add(finding)
    return tuple(summaries.values())
