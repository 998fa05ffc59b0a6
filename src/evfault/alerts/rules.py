"""Self-healing and alert rules as data: one YAML document, parsed into frozen values.

Pure: no I/O. The server reads the text from `--rules FILE` or the database (rules edited
through the API) and hands it to `parse_rules`; a mistake becomes one `RuleError` sentence.

    self_healing:
      - name: restart-on-internal-error
        match: {code: InternalError}
        after: 5m                      # the error must still be active this long
        actions: [soft_reset, hard_reset]
        verify: 3m                     # after each action: cleared by then, or the next one
        during_transaction: false
        max_attempts: 3                # actions per charger within `window`
        window: 24h
    alerts:
      - name: critical-errors
        match: {severity: critical}
        after: 10m                     # alert only if still active this long
        repeat: 4h                     # again while it stays active (0: never)
        quiet_while_healing: true
        resolved: true                 # a second message when it clears
        channels:
          - email: [ops@example.com]
          - webhook: https://hooks.example.com/evfault
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

import yaml

from evfault.errors import UserError


class RuleError(UserError):
    """A rules document that cannot be used; the message says where and why."""


class Action(StrEnum):
    """What self-healing may do to a charger (the commander's vocabulary underneath)."""

    SOFT_RESET = "soft_reset"
    HARD_RESET = "hard_reset"
    UNLOCK = "unlock"
    INOPERATIVE = "inoperative"  # change availability of the connector to Inoperative
    OPERATIVE = "operative"


# ---- matching --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """Which errors a rule is about; an empty field matches everything."""

    code: tuple[str, ...] = ()
    scheme: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    charger: tuple[str, ...] = ()  # shell-style patterns: "CP-*"
    status: tuple[str, ...] = ()  # the connector status reported with the error
    offline: bool = False  # alert rules: the charger being offline, not an error code

    def matches(self, *, code: str, scheme: str, severity: str, charger_id: str,
                status: str | None = None, offline: bool = False) -> bool:
        if offline != self.offline:
            return False
        return (_any(self.code, code) and _any(self.scheme, scheme)
                and _any(self.severity, severity) and _any(self.status, status or "")
                and (not self.charger or any(fnmatchcase(charger_id, p) for p in self.charger)))


def _any(wanted: tuple[str, ...], value: str) -> bool:
    return not wanted or value.casefold() in (w.casefold() for w in wanted)


# ---- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Channel:
    """Where an alert goes: `kind` is "email" (to addresses) or "webhook" (to one URL)."""

    kind: str
    targets: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.kind}:{','.join(self.targets)}"


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    match: Match
    channels: tuple[Channel, ...]
    after: timedelta = timedelta(minutes=10)
    repeat: timedelta | None = None
    quiet_while_healing: bool = True
    resolved: bool = True


@dataclass(frozen=True, slots=True)
class HealingRule:
    name: str
    match: Match
    actions: tuple[Action, ...]
    after: timedelta = timedelta(minutes=5)
    verify: timedelta = timedelta(minutes=3)
    during_transaction: bool = False
    max_attempts: int = 3
    window: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class RuleSet:
    healing: tuple[HealingRule, ...] = ()
    alerts: tuple[AlertRule, ...] = ()
    text: str = field(default="", compare=False)  # the document they came from

    def healing_for(self, *, code: str, scheme: str, severity: str, charger_id: str,
                    status: str | None) -> HealingRule | None:
        """The first self-healing rule that matches an error (rules are tried in order)."""
        for rule in self.healing:
            if rule.match.matches(code=code, scheme=scheme, severity=severity,
                                  charger_id=charger_id, status=status):
                return rule
        return None


# ---- parsing ---------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_MATCH_KEYS = ("code", "scheme", "severity", "charger", "status")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def parse_duration(value: Any, where: str) -> timedelta:
    """"90s", "5m", "2h", "1d", or a bare number of minutes."""
    if isinstance(value, bool):
        raise RuleError(f"{where} must be a duration such as 90s, 5m or 2h, not {value!r}.")
    if isinstance(value, int | float):
        if value < 0:
            raise RuleError(f"{where} cannot be negative.")
        return timedelta(minutes=value)
    found = _DURATION.match(str(value))
    if not found:
        raise RuleError(f"{where} must be a duration such as 90s, 5m or 2h, not {value!r}.")
    return timedelta(seconds=float(found[1]) * _UNITS[found[2] or "m"])


def parse_rules(text: str, source: str = "the rules") -> RuleSet:
    """The rules in a YAML document; RuleError names the first thing that is wrong."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise RuleError(f"{source} is not valid YAML: {exc}".replace("\n", " ")) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RuleError(f"{source} must be a mapping with 'self_healing' and 'alerts' lists.")
    _no_extra(data, ("self_healing", "alerts"), source)
    healing = tuple(_healing(r, f"{source}: self_healing[{i}]")
                    for i, r in enumerate(_list(data.get("self_healing"), "self_healing")))
    alerts = tuple(_alert(r, f"{source}: alerts[{i}]")
                   for i, r in enumerate(_list(data.get("alerts"), "alerts")))
    _unique((r.name for r in healing), "self_healing", source)
    _unique((r.name for r in alerts), "alerts", source)
    return RuleSet(healing, alerts, text)


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleError(f"'{name}' must be a list of rules.")
    return value


def _unique(names: Iterable[str], section: str, source: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise RuleError(f"{source}: two {section} rules are named {name!r}; names must "
                            "differ.")
        seen.add(name)


def _no_extra(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise RuleError(f"{where}: unknown field {extra[0]!r} (known: {', '.join(allowed)}).")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(f"{where} must be a mapping.")
    return value


def _name(data: Mapping[str, Any], where: str) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError(f"{where} needs a name.")
    return name.strip()


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in items):
        raise RuleError(f"{where} must be a text or a list of texts.")
    return tuple(str(v) for v in items)


def _match(value: Any, where: str, *, offline_allowed: bool) -> Match:
    data = _mapping(value if value is not None else {}, where)
    keys = (*_MATCH_KEYS, "offline") if offline_allowed else _MATCH_KEYS
    _no_extra(data, keys, where)
    offline = data.get("offline", False)
    if not isinstance(offline, bool):
        raise RuleError(f"{where}.offline must be true or false.")
    values = {k: _strings(data.get(k), f"{where}.{k}") for k in _MATCH_KEYS}
    return Match(offline=offline, **values)


def _bool(data: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise RuleError(f"{where}.{key} must be true or false.")
    return value


def _positive_int(data: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuleError(f"{where}.{key} must be a whole number of at least 1.")
    return value


def _healing(value: Any, where: str) -> HealingRule:
    data = _mapping(value, where)
    _no_extra(data, ("name", "match", "after", "actions", "verify", "during_transaction",
                     "max_attempts", "window"), where)
    actions = []
    for raw in _strings(data.get("actions"), f"{where}.actions"):
        try:
            actions.append(Action(raw))
        except ValueError:
            known = ", ".join(a.value for a in Action)
            raise RuleError(f"{where}.actions: {raw!r} is not an action ({known}).") from None
    if not actions:
        raise RuleError(f"{where} needs at least one action.")
    return HealingRule(
        name=_name(data, where),
        match=_match(data.get("match"), f"{where}.match", offline_allowed=False),
        actions=tuple(actions),
        after=parse_duration(data.get("after", "5m"), f"{where}.after"),
        verify=parse_duration(data.get("verify", "3m"), f"{where}.verify"),
        during_transaction=_bool(data, "during_transaction", False, where),
        max_attempts=_positive_int(data, "max_attempts", 3, where),
        window=parse_duration(data.get("window", "24h"), f"{where}.window"),
    )


def _alert(value: Any, where: str) -> AlertRule:
    data = _mapping(value, where)
    _no_extra(data, ("name", "match", "after", "repeat", "quiet_while_healing", "resolved",
                     "channels"), where)
    repeat = parse_duration(data.get("repeat", 0), f"{where}.repeat")
    return AlertRule(
        name=_name(data, where),
        match=_match(data.get("match"), f"{where}.match", offline_allowed=True),
        channels=_channels(data.get("channels"), f"{where}.channels"),
        after=parse_duration(data.get("after", "10m"), f"{where}.after"),
        repeat=repeat or None,
        quiet_while_healing=_bool(data, "quiet_while_healing", True, where),
        resolved=_bool(data, "resolved", True, where),
    )


def _channels(value: Any, where: str) -> tuple[Channel, ...]:
    if not isinstance(value, list) or not value:
        raise RuleError(f"{where} must list at least one channel (email: or webhook:).")
    channels = []
    for i, raw in enumerate(value):
        item = _mapping(raw, f"{where}[{i}]")
        if len(item) != 1 or next(iter(item)) not in ("email", "webhook"):
            raise RuleError(f"{where}[{i}] must be one 'email: ADDRESS' or 'webhook: URL'.")
        kind, targets = next(iter(item.items()))
        found = _strings(targets, f"{where}[{i}].{kind}")
        if kind == "email" and (not found or not all(_EMAIL.match(t) for t in found)):
            raise RuleError(f"{where}[{i}].email must be one or more e-mail addresses.")
        if kind == "webhook" and (len(found) != 1
                                  or not found[0].startswith(("http://", "https://"))):
            raise RuleError(f"{where}[{i}].webhook must be one http:// or https:// URL.")
        channels.append(Channel(kind, found))
    return tuple(channels)
