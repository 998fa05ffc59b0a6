"""One reliability report from a history: the shape the API, the page, `analyze --json`, the
HTML file and the PDF all show (built once, shown many ways)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evfault.analytics.model import ChargerInfo, Window
from evfault.analytics.mttr import in_window, mtbf, mttr
from evfault.analytics.sessions import success_rate
from evfault.analytics.uptime import (
    NEVI_TARGET,
    Exclusion,
    Outage,
    Port,
    known_ports,
    outages,
    port_uptime,
)
from evfault.tracking.model import ConnectivityChange, Incident, StatusChange

MTTR_GROUPS = ("code", "charger", "vendor", "model")
WORST = 10  # chargers in the "worst chargers" table


@dataclass
class History:
    """Everything the analytics read, from the database or from a log."""

    incidents: list[Incident]
    status_changes: list[StatusChange]
    connectivity: list[ConnectivityChange]
    chargers: dict[str, ChargerInfo] = field(default_factory=dict)
    ports: set[Port] = field(default_factory=set)
    actions: dict[str, list[Any]] = field(default_factory=dict)  # incident id → attempts


def found_outages(history: History, until: datetime,
                  exclusions: Mapping[str, Exclusion] | None = None) -> list[Outage]:
    return outages(history.status_changes, history.connectivity, history.incidents, until,
                   exclusions, history.ports)


def build(history: History, window: Window,
          exclusions: Mapping[str, Exclusion] | None = None) -> dict[str, Any]:
    """The whole report over `window`: incidents, MTTR, MTBF, uptime, outages, sessions."""
    found = found_outages(history, window.until, exclusions)
    ports = known_ports(history.status_changes, history.incidents, history.ports)
    uptime = port_uptime(found, ports, window)
    opened = [i for i in history.incidents if in_window(i, window)]
    return {
        "window": {"since": iso(window.since), "until": iso(window.until),
                   "minutes": round(window.minutes, 3)},
        "target_uptime": NEVI_TARGET,
        "totals": {
            "incidents": len(opened),
            "cleared": sum(1 for i in opened if i.cleared_at is not None),
            "chargers": len({p[0] for p in ports} | set(history.chargers)),
            "ports": len(ports),
            "ports_below_target": sum(1 for r in uptime if r.below_target),
            "outages": sum(1 for o in found if window.clip(o.start, o.end).total_seconds() > 0),
        },
        "mttr": {by: [r.as_dict() for r in mttr(history.incidents, by, history.chargers, window,
                                                history.actions)] for by in MTTR_GROUPS},
        "mttr_all": [r.as_dict() for r in mttr(history.incidents, "all", None, window,
                                               history.actions)],
        "mtbf": [r.as_dict() for r in mtbf(history.incidents, window, "all", history.chargers)],
        "uptime": [r.as_dict() for r in uptime],
        "outages": [o.as_dict() for o in found
                    if window.clip(o.start, o.end).total_seconds() > 0],
        "success": [r.as_dict() for r in success_rate(
            [s for s in history.status_changes if window.since <= s.at < window.until])],
        "incidents_per_day": per_day(opened),
        "worst_chargers": worst_chargers(opened, uptime),
    }


def per_day(incidents: Iterable[Incident]) -> list[dict[str, Any]]:
    days = Counter(i.opened_at.astimezone(UTC).strftime("%Y-%m-%d") for i in incidents)
    return [{"day": day, "opened": days[day]} for day in sorted(days)]


def worst_chargers(incidents: Iterable[Incident], uptime: Iterable[Any]) -> list[dict[str, Any]]:
    """Chargers by their lowest port uptime, then by how many incidents they had."""
    counts = Counter(i.charger_id for i in incidents)
    lowest: dict[str, float] = {}
    for row in uptime:
        lowest[row.charger_id] = min(row.uptime, lowest.get(row.charger_id, 100.0))
    ranked = sorted(set(counts) | set(lowest),
                    key=lambda c: (lowest.get(c, 100.0), -counts[c], c))
    troubled = [c for c in ranked if counts[c] or lowest.get(c, 100.0) < 100.0][:WORST]
    return [{"charger_id": c, "incidents": counts[c],
             "lowest_uptime": round(lowest.get(c, 100.0), 4)} for c in troubled]


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
