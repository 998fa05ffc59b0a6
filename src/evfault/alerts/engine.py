"""Which alert messages are due: pure decisions over what is active now and what was sent.

The service (service.py) calls `due_messages` on every tick with the active errors and offline
chargers it read, and the alerts already fired (rebuilt from the outbox after a restart). What
comes back is written to the outbox before anything is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from evfault.alerts.rules import AlertRule, RuleSet
from evfault.tracking.model import Incident


class Kind(StrEnum):
    ALERT = "alert"  # first message: still active after the rule's delay
    REPEAT = "repeat"  # still active after the repeat interval
    RESOLVED = "resolved"  # cleared after an alert was sent


OFFLINE_CODE = "Offline"
OFFLINE_SCHEME = "evfault"


@dataclass(frozen=True, slots=True)
class Subject:
    """What an alert is about: one active error, or one charger that is offline."""

    key: str  # the incident's id, or "offline:<charger id>"
    charger_id: str
    connector_id: int | None
    scheme: str
    code: str
    title: str
    severity: str
    since: datetime
    status: str | None = None
    info: str | None = None
    offline: bool = False

    @classmethod
    def of_incident(cls, incident: Incident) -> Subject:
        return cls(incident.id, incident.charger_id, incident.connector_id, incident.scheme,
                   incident.code, incident.title, incident.severity, incident.opened_at,
                   incident.status, incident.info)

    @classmethod
    def offline_charger(cls, charger_id: str, since: datetime) -> Subject:
        return cls(f"offline:{charger_id}", charger_id, None, OFFLINE_SCHEME, OFFLINE_CODE,
                   "Charger offline", "critical", since, offline=True)

    def matched_by(self, rule: AlertRule) -> bool:
        return rule.match.matches(code=self.code, scheme=self.scheme, severity=self.severity,
                                  charger_id=self.charger_id, status=self.status,
                                  offline=self.offline)


@dataclass(frozen=True, slots=True)
class Fired:
    """Alerts already written for one rule and one subject (not yet resolved)."""

    rule: str
    subject: Subject
    count: int  # alert + repeats written so far
    last_at: datetime


@dataclass(frozen=True, slots=True)
class Due:
    """One message to write to the outbox (once per channel of its rule)."""

    rule: AlertRule
    subject: Subject
    kind: Kind
    seq: int  # 0 for the alert, 1.. for repeats; the resolved message takes the next one
    at: datetime

    @property
    def key(self) -> str:
        """The same message always gets the same key: the outbox stores it once, and a
        webhook receiver sees it as `Idempotency-Key`."""
        raw = f"{self.rule.name}\x1f{self.subject.key}\x1f{self.kind}\x1f{self.seq}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


FiredMap = Mapping[tuple[str, str], Fired]


def due_messages(rules: RuleSet, active: Iterable[Subject], fired: FiredMap, now: datetime,
                 healing: Callable[[Subject], bool] = lambda _s: False) -> list[Due]:
    """Alerts, repeats and resolved messages due now.

    `healing(subject)`: self-healing is still trying on it (rules may stay quiet meanwhile).
    """
    active = list(active)
    due: list[Due] = []
    for rule in rules.alerts:
        for subject in active:
            if subject.matched_by(rule):
                found = _alert_due(rule, subject, fired.get((rule.name, subject.key)), now,
                                   healing)
                if found is not None:
                    due.append(found)
    due.extend(_resolved_due(rules, {s.key for s in active}, fired, now))
    return due


def _alert_due(rule: AlertRule, subject: Subject, fired: Fired | None, now: datetime,
               healing: Callable[[Subject], bool]) -> Due | None:
    if fired is None:
        if now - subject.since < rule.after:
            return None
        if rule.quiet_while_healing and healing(subject):
            return None
        return Due(rule, subject, Kind.ALERT, 0, now)
    if rule.repeat is not None and now - fired.last_at >= rule.repeat:
        return Due(rule, subject, Kind.REPEAT, fired.count, now)
    return None


def _resolved_due(rules: RuleSet, active: set[str], fired: FiredMap, now: datetime
                  ) -> list[Due]:
    by_name = {r.name: r for r in rules.alerts}
    due = []
    for (name, key), f in fired.items():
        rule = by_name.get(name)
        if key not in active and rule is not None and rule.resolved:
            due.append(Due(rule, f.subject, Kind.RESOLVED, f.count, now))
    return due


def gone(rules: RuleSet, active: Iterable[Subject], fired: FiredMap) -> list[tuple[str, str]]:
    """Fired alerts to forget: their subject cleared (resolved messages are due once), or
    their rule no longer exists."""
    keys = {s.key for s in active}
    names = {r.name for r in rules.alerts}
    return [k for k in fired if k[1] not in keys or k[0] not in names]
