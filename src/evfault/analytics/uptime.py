"""NEVI port uptime (23 CFR 680.116(b)) from status periods, unusable errors and offline time.

    µ = ((P − (T_outage − T_excluded)) / P) × 100

P is the minutes of the period: 525,600 (365 days) for the rule's "previous twelve months", as
680.116(b)(3) writes it, or the minutes of any other window asked for. A port is out while its
status (or its charger's, connector 0) is Faulted or Unavailable, while an error that stops
charging is active on it (reported with Faulted or with no status; a warning reported with
another status leaves the port usable), and while its charger is offline. Overlapping causes
count once: they are merged into one outage. An operator may exclude an outage with one of the
six reasons the rule allows (EV-ChART `excluded_outage_reason` 1–6).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from evfault.analytics.model import Window, minutes
from evfault.tracking.model import ConnectivityChange, Incident, StatusChange

NEVI_YEAR_MIN = 525_600  # minutes in 365 days, the denominator of 680.116(b)(3)
NEVI_TARGET = 97.0  # % — "average annual uptime > 97 %"
OUT_STATUSES = frozenset({"faulted", "unavailable"})
OFFLINE = "offline"
# The rule's exclusions, in the order it lists them (EV-ChART excluded_outage_reason 1–6).
EXCLUSION_REASONS: dict[int, str] = {
    1: "electric utility service interruption",
    2: "failure to charge due to the fault of the vehicle",
    3: "scheduled maintenance",
    4: "vandalism",
    5: "natural disaster",
    6: "outside the station's hours of operation",
}

Port = tuple[str, int]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Exclusion:
    reason: int  # 1–6, see EXCLUSION_REASONS
    notes: str = ""

    def __post_init__(self) -> None:
        if self.reason not in EXCLUSION_REASONS:
            raise ValueError("An exclusion reason is a number from 1 to 6.")


@dataclass(frozen=True, slots=True)
class Outage:
    """One stretch of time a port could not charge, with everything that caused it."""

    id: str
    charger_id: str
    connector_id: int
    start: datetime
    end: datetime  # the data's end while it is still going on
    ongoing: bool
    causes: tuple[str, ...]  # "status:Faulted", "error:ChargeX:CX001", "offline"
    exclusion: Exclusion | None = None

    @property
    def minutes(self) -> float:
        return minutes(self.end - self.start)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "charger_id": self.charger_id, "connector_id": self.connector_id,
            "start": _iso(self.start), "end": None if self.ongoing else _iso(self.end),
            "ongoing": self.ongoing, "minutes": round(self.minutes, 3), "causes": list(self.causes),
            "excluded": self.exclusion is not None,
            "excluded_reason": None if self.exclusion is None else self.exclusion.reason,
            "excluded_notes": None if self.exclusion is None else self.exclusion.notes,
        }


@dataclass(frozen=True, slots=True)
class PortUptime:
    charger_id: str
    connector_id: int
    since: datetime
    until: datetime
    outage_min: float  # T_outage
    excluded_min: float  # T_excluded
    period_min: float  # P
    uptime: float  # µ, %
    outages: int

    @property
    def below_target(self) -> bool:
        return self.uptime < NEVI_TARGET

    def as_dict(self) -> dict[str, Any]:
        return {
            "charger_id": self.charger_id, "connector_id": self.connector_id,
            "since": _iso(self.since), "until": _iso(self.until),
            "outage_min": round(self.outage_min, 3), "excluded_min": round(self.excluded_min, 3),
            "period_min": round(self.period_min, 3), "uptime": round(self.uptime, 4),
            "outages": self.outages, "below_target": self.below_target,
        }


def uptime_pct(outage_min: float, excluded_min: float, period_min: float = NEVI_YEAR_MIN) -> float:
    """µ of 680.116(b)(3)."""
    return (period_min - (outage_min - excluded_min)) / period_min * 100


def outage_id(charger_id: str, connector_id: int, start: datetime) -> str:
    """A stable id: the same port and start always give the same id, on every backend."""
    micros = (start - EPOCH) // MICROSECOND
    text = f"{charger_id}\x1f{connector_id}\x1f{micros}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def known_ports(status_changes: Iterable[StatusChange], incidents: Iterable[Incident],
                extra: Iterable[Port] = ()) -> set[Port]:
    """Ports seen anywhere; a charger that only ever spoke of connector 0 has port 0."""
    seen: dict[str, set[int]] = defaultdict(set)
    for charger_id, connector_id in (*((s.charger_id, s.connector_id) for s in status_changes),
                                     *((i.charger_id, i.connector_id) for i in incidents),
                                     *extra):
        seen[charger_id].add(connector_id)
    ports: set[Port] = set()
    for charger_id, ids in seen.items():
        real = {c for c in ids if c > 0}
        ports |= {(charger_id, c) for c in (real or {0})}
    return ports


def outages(status_changes: Iterable[StatusChange], connectivity: Iterable[ConnectivityChange],
            incidents: Iterable[Incident], until: datetime,
            exclusions: Mapping[str, Exclusion] | None = None,
            ports: Iterable[Port] = ()) -> list[Outage]:
    """Every outage of every port up to `until` (the end of the data), oldest first."""
    status_changes, incidents = list(status_changes), list(incidents)
    all_ports = known_ports(status_changes, incidents, ports)
    by_charger: dict[str, list[int]] = defaultdict(list)
    for charger_id, connector_id in sorted(all_ports):
        by_charger[charger_id].append(connector_id)
    spans: dict[Port, list[tuple[datetime, datetime, str]]] = defaultdict(list)

    def add(charger_id: str, connector_id: int, start: datetime, end: datetime, cause: str) -> None:
        targets = by_charger.get(charger_id, []) if connector_id == 0 else [connector_id]
        for target in targets:
            if (charger_id, target) in all_ports and end > start:
                spans[(charger_id, target)].append((start, end, cause))

    for charger_id, connector_id, start, end, status in status_periods(status_changes, until):
        if status.lower() in OUT_STATUSES:
            add(charger_id, connector_id, start, end, f"status:{status}")
    for incident in incidents:
        if unusable(incident):
            add(incident.charger_id, incident.connector_id, incident.opened_at,
                incident.cleared_at or until, f"error:{incident.scheme}:{incident.code}")
    for charger_id, start, end in offline_periods(connectivity, until):
        add(charger_id, 0, start, end, OFFLINE)
    found = [outage for port, items in spans.items()
             for outage in _merged(port, items, until, exclusions or {})]
    return sorted(found, key=lambda o: (o.start, o.charger_id, o.connector_id))


def unusable(incident: Incident) -> bool:
    """An error that stops charging: not a warning reported alongside a usable status."""
    return not incident.warning_only and incident.severity != "info"


def status_periods(changes: Iterable[StatusChange], until: datetime
                   ) -> Iterable[tuple[str, int, datetime, datetime, str]]:
    """(charger, connector, start, end, status) for each status period, the last one to `until`."""
    by_port: dict[Port, list[StatusChange]] = defaultdict(list)
    for change in changes:
        by_port[(change.charger_id, change.connector_id)].append(change)
    for (charger_id, connector_id), items in by_port.items():
        items.sort(key=lambda s: s.at)
        for current, following in zip(items, [*items[1:], None], strict=True):
            end = until if following is None else following.at
            yield charger_id, connector_id, current.at, max(end, current.at), current.status


def offline_periods(changes: Iterable[ConnectivityChange], until: datetime
                    ) -> Iterable[tuple[str, datetime, datetime]]:
    """(charger, start, end) for each time a charger was offline."""
    by_charger: dict[str, list[ConnectivityChange]] = defaultdict(list)
    for change in changes:
        by_charger[change.charger_id].append(change)
    for charger_id, items in by_charger.items():
        items.sort(key=lambda c: c.at)
        went: datetime | None = None
        for change in items:
            if not change.online and went is None:
                went = change.at
            elif change.online and went is not None:
                yield charger_id, went, max(went, change.at)
                went = None
        if went is not None:
            yield charger_id, went, max(went, until)


def _merged(port: Port, items: list[tuple[datetime, datetime, str]], until: datetime,
            exclusions: Mapping[str, Exclusion]) -> list[Outage]:
    items.sort()
    groups: list[tuple[datetime, datetime, set[str]]] = []
    for start, end, cause in items:
        if groups and start <= groups[-1][1]:
            last = groups[-1]
            groups[-1] = (last[0], max(last[1], end), last[2] | {cause})
        else:
            groups.append((start, end, {cause}))
    charger_id, connector_id = port
    result = []
    for start, end, causes in groups:
        oid = outage_id(charger_id, connector_id, start)
        result.append(Outage(oid, charger_id, connector_id, start, end, end >= until,
                             tuple(sorted(causes)), exclusions.get(oid)))
    return result


def port_uptime(found: Iterable[Outage], ports: Iterable[Port], window: Window,
                period_min: float | None = None) -> list[PortUptime]:
    """µ per port over the window (P = the window's minutes unless given), lowest first."""
    outage_min: dict[Port, float] = defaultdict(float)
    excluded_min: dict[Port, float] = defaultdict(float)
    count: dict[Port, int] = defaultdict(int)
    for outage in found:
        inside = minutes(window.clip(outage.start, outage.end))
        if inside <= 0:
            continue
        port = (outage.charger_id, outage.connector_id)
        outage_min[port] += inside
        count[port] += 1
        if outage.exclusion is not None:
            excluded_min[port] += inside
    p = window.minutes if period_min is None else period_min
    rows = [PortUptime(c, n, window.since, window.until, outage_min[(c, n)],
                       excluded_min[(c, n)], p,
                       uptime_pct(outage_min[(c, n)], excluded_min[(c, n)], p), count[(c, n)])
            for c, n in set(ports) | set(outage_min)]
    return sorted(rows, key=lambda r: (r.uptime, r.charger_id, r.connector_id))


def month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=at.tzinfo or UTC)


def add_months(at: datetime, months: int) -> datetime:
    index = at.year * 12 + at.month - 1 + months
    return at.replace(year=index // 12, month=index % 12 + 1, day=1)


def months_between(first: datetime, last: datetime) -> list[datetime]:
    """The first instant of each month from first's month to last's month, inclusive."""
    out, at = [], month_start(first)
    while at <= last:
        out.append(at)
        at = add_months(at, 1)
    return out


def monthly_uptime(found: Iterable[Outage], ports: Iterable[Port], first: datetime,
                   last: datetime) -> list[tuple[str, PortUptime]]:
    """µ per port per month, each over the twelve months that end with it, P = 525,600."""
    found, ports = list(found), set(ports)
    rows: list[tuple[str, PortUptime]] = []
    for month in months_between(first, last):
        end = add_months(month, 1)
        window = Window(add_months(end, -12), end)
        label = month.strftime("%Y-%m")
        rows += [(label, row) for row in port_uptime(found, ports, window, NEVI_YEAR_MIN)]
    return rows


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def end_of_data(*times: datetime | None) -> datetime:
    """The latest of the given times (an analysis runs to the end of its data)."""
    known = [t for t in times if t is not None]
    if not known:
        raise ValueError("There is no time in the data.")
    return max(known)


__all__ = ["EXCLUSION_REASONS", "NEVI_TARGET", "NEVI_YEAR_MIN", "Exclusion", "Outage",
           "PortUptime", "monthly_uptime", "outage_id", "outages", "port_uptime",
           "uptime_pct"]
