"""Mean time to repair and mean time between failures, grouped any way an operator asks.

MTTR is the time from an incident's opening to its clearing (cleared incidents only: an open one
has no repair time yet). Each repair is also sorted by how it ended, from the actions recorded on
the incident where the server keeps them: fixed by a remote action (a reset, an unlock, …),
needing a visit (someone went to the charger), or cleared by itself (no action at all).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from evfault.analytics.model import ChargerInfo, Window
from evfault.tracking.model import Incident

GROUPS = ("code", "scheme", "charger", "connector", "vendor", "model", "firmware",
          "month", "week", "day", "all")
CHARGER_GROUPS = ("charger", "vendor", "model", "firmware", "all")
UNKNOWN = "unknown"
# Action kinds that mean a person went to the charger; every other recorded action was remote.
VISIT_KINDS = frozenset({"visit", "site-visit", "site_visit", "technician", "dispatch",
                         "truck-roll", "truck_roll", "onsite", "on-site", "manual", "repair"})


class Outcome(StrEnum):
    REMOTE = "remote"  # a remote action was taken before it cleared
    VISIT = "visit"  # someone had to go to the charger
    SELF = "self"  # no action recorded: it cleared by itself


@dataclass(frozen=True, slots=True)
class MttrRow:
    group: str
    incidents: int  # cleared incidents in the group
    mean_s: float
    median_s: float
    remote: int
    visit: int
    self_cleared: int
    still_open: int  # opened in the window and not cleared yet (not in the means)

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "incidents": self.incidents,
                "mean_s": round(self.mean_s, 3), "median_s": round(self.median_s, 3),
                "mean_min": round(self.mean_s / 60, 3), "median_min": round(self.median_s / 60, 3),
                "remote": self.remote, "visit": self.visit, "self_cleared": self.self_cleared,
                "still_open": self.still_open}


@dataclass(frozen=True, slots=True)
class MtbfRow:
    group: str
    failures: int
    operating_h: float  # hours in the window the group's chargers were not under repair
    mtbf_h: float | None  # None: no failure in the window

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "failures": self.failures,
                "operating_h": round(self.operating_h, 3),
                "mtbf_h": None if self.mtbf_h is None else round(self.mtbf_h, 3)}


def group_key(by: str, chargers: Mapping[str, ChargerInfo]) -> Callable[[Incident], str]:
    """The function naming the group an incident belongs to."""
    if by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}, not {by!r}.")
    if by in ("vendor", "model", "firmware"):
        def facts(i: Incident) -> str:
            info = chargers.get(i.charger_id)
            value = None if info is None else getattr(info, by)
            return value or UNKNOWN
        return facts
    keys: dict[str, Callable[[Incident], str]] = {
        "code": lambda i: f"{i.scheme}:{i.code}",
        "scheme": lambda i: i.scheme,
        "charger": lambda i: i.charger_id,
        "connector": lambda i: f"{i.charger_id}/{i.connector_id}",
        "month": lambda i: i.opened_at.strftime("%Y-%m"),
        "week": lambda i: "{}-W{:02d}".format(*i.opened_at.isocalendar()[:2]),
        "day": lambda i: i.opened_at.strftime("%Y-%m-%d"),
        "all": lambda i: "all",
    }
    return keys[by]


def repair_outcome(incident: Any, actions: Sequence[Any] | None = None) -> Outcome:
    """How an incident was repaired, from the actions taken on it (self-healing's attempts,
    or the incident's own `actions`): none — by itself; one after which the error cleared (or
    whose verdict is not recorded) — remotely; a visit, or remote attempts none of which
    cleared it before it cleared after all — someone had to go to the charger."""
    recorded: Sequence[Any] = actions or getattr(incident, "actions", None) or ()
    if not recorded:
        return Outcome.SELF
    if any(_action_kind(action) in VISIT_KINDS for action in recorded):
        return Outcome.VISIT
    verdicts = [_field(action, "cleared") for action in recorded]
    if any(v is True for v in verdicts) or all(v is None for v in verdicts):
        return Outcome.REMOTE
    return Outcome.VISIT


def _field(action: Any, name: str) -> Any:
    return action.get(name) if isinstance(action, Mapping) else getattr(action, name, None)


def _action_kind(action: Any) -> str:
    if isinstance(action, str):
        return action.lower()
    if isinstance(action, Mapping):
        for key in ("kind", "action", "type", "name"):
            if action.get(key):
                return str(action[key]).lower()
        return ""
    for key in ("kind", "action", "type", "name"):
        value = getattr(action, key, None)
        if value:
            return str(value).lower()
    return ""


def in_window(incident: Incident, window: Window | None) -> bool:
    """Whether the incident opened inside the window (all, without one)."""
    return window is None or window.since <= incident.opened_at < window.until


def mttr(incidents: Iterable[Incident], by: str = "code",
         chargers: Mapping[str, ChargerInfo] | None = None,
         window: Window | None = None,
         actions: Mapping[str, Sequence[Any]] | None = None) -> list[MttrRow]:
    """MTTR per group for incidents opened in the window, the longest mean first.

    `actions`: incident id → the actions taken on it (self-healing's attempts), where known."""
    actions = actions or {}
    key = group_key(by, chargers or {})
    durations: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, dict[Outcome, int]] = defaultdict(lambda: dict.fromkeys(Outcome, 0))
    still_open: dict[str, int] = defaultdict(int)
    for incident in incidents:
        if not in_window(incident, window):
            continue
        group = key(incident)
        if incident.cleared_at is None:
            still_open[group] += 1
            continue
        durations[group].append((incident.cleared_at - incident.opened_at).total_seconds())
        outcomes[group][repair_outcome(incident, actions.get(incident.id))] += 1
    rows = [_mttr_row(group, durations.get(group, []), outcomes[group], still_open[group])
            for group in set(durations) | set(still_open)]
    return sorted(rows, key=lambda r: (-r.mean_s, r.group))


def _mttr_row(group: str, seconds: list[float], outcomes: Mapping[Outcome, int],
              still_open: int) -> MttrRow:
    mean = statistics.fmean(seconds) if seconds else 0.0
    median = statistics.median(seconds) if seconds else 0.0
    return MttrRow(group, len(seconds), mean, median, outcomes[Outcome.REMOTE],
                   outcomes[Outcome.VISIT], outcomes[Outcome.SELF], still_open)


def mtbf(incidents: Iterable[Incident], window: Window, by: str = "charger",
         chargers: Mapping[str, ChargerInfo] | None = None) -> list[MtbfRow]:
    """Mean time between failures: operating time over failures, per group of chargers.

    A charger's operating time is the window less the time any of its incidents was open (the
    union, so overlapping codes count once). Every charger in `chargers` counts, failing or not.
    """
    if by not in CHARGER_GROUPS:
        raise ValueError(f"MTBF groups by one of {', '.join(CHARGER_GROUPS)}, not {by!r}.")
    infos = dict(chargers or {})
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for incident in incidents:
        infos.setdefault(incident.charger_id, ChargerInfo(incident.charger_id))
        end = incident.cleared_at or window.until
        spans[incident.charger_id].append((incident.opened_at, end))
        if in_window(incident, window):
            failures[incident.charger_id] += 1
    key = _charger_key(by)
    grouped_h: dict[str, float] = defaultdict(float)
    grouped_f: dict[str, int] = defaultdict(int)
    total_h = window.minutes / 60
    for charger_id, info in infos.items():
        repair_h = sum(window.clip(a, b).total_seconds()
                       for a, b in merge(spans.get(charger_id, []))) / 3600
        grouped_h[key(info)] += total_h - repair_h
        grouped_f[key(info)] += failures.get(charger_id, 0)
    rows = [MtbfRow(g, grouped_f[g], grouped_h[g],
                    grouped_h[g] / grouped_f[g] if grouped_f[g] else None) for g in grouped_h]
    return sorted(rows, key=lambda r: (r.mtbf_h is None, r.mtbf_h or 0.0, r.group))


def _charger_key(by: str) -> Callable[[ChargerInfo], str]:
    if by == "charger":
        return lambda info: info.charger_id
    if by == "all":
        return lambda info: "all"
    return lambda info: getattr(info, by) or UNKNOWN


def merge(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching spans joined into one; the result is sorted."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
