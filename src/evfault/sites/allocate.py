"""The allocation core: fuse, meter, EMS and chargers' states in, each charger's current out.

Pure: no I/O, no clock. The rules (seed 002, "Other Error Notifications"):

- the site limit is the fuse, lowered by the EMS's published limit; an EMS that is offline or
  unknown is replaced by its fallback limit (e.g. 100 A);
- the building's load is the meter's reading; a meter that is offline or unknown is assumed to
  draw its fallback (e.g. 50 A);
- an offline charger is assumed to keep charging: its fallback current is reserved when it has
  one, else its whole capacity (0 A when an operator set its capacity to 0) — or the limit it
  was last sent, if higher, until that limit's profile runs out;
- a charger that refuses charging profiles has its whole capacity reserved while it charges;
- what is left is shared equally among the chargers that want current, each between its
  minimum (6 A for AC, IEC 61851-1) and its maximum; a charger whose minimum does not fit is
  paused (0 A), not starved below it. Chargers listed first in the site keep charging longest.

Currents are per phase. Limits sent to chargers are rounded down to 0.1 A, so the sum never
rounds up past the limit.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

from evfault.sites.model import (
    Allocation,
    ChargerSpec,
    ChargerState,
    Reading,
    Share,
    Site,
    SourceState,
)

_BISECTIONS = 64


def site_limit(site: Site, ems: Reading | None) -> tuple[float, str]:
    """The limit the site must stay under, and where it came from."""
    if site.ems is None:
        return site.fuse_limit_a, "fuse"
    if ems is not None and ems.state is SourceState.ONLINE and ems.value_a is not None:
        value, source = max(0.0, ems.value_a), "ems"
    else:
        value, source = site.ems.fallback_a, "ems-fallback"
    return (value, source) if value < site.fuse_limit_a else (site.fuse_limit_a, "fuse")


def metered_load(site: Site, meter: Reading | None) -> tuple[float, str]:
    """The rest of the building's load per phase; an export (negative) counts as none."""
    if site.meter is None:
        return 0.0, "none"
    if meter is not None and meter.state is SourceState.ONLINE and meter.value_a is not None:
        return max(0.0, meter.value_a), "meter"
    return site.meter.fallback_a, "meter-fallback"


def reservation(charger: ChargerSpec) -> float:
    """What an offline charger may still draw on its own: its fallback, else its capacity."""
    capacity = max(0.0, charger.max_current_a)
    if charger.fallback_current_a is None:
        return capacity
    return min(capacity, max(0.0, charger.fallback_current_a))


def floor_tenth(value: float) -> float:
    return math.floor(value * 10) / 10


def _level_shares(wanting: Sequence[ChargerSpec], budget: float) -> list[float]:
    """Equal shares between each charger's minimum and maximum that sum to at most `budget`."""
    def at(level: float) -> list[float]:
        return [min(c.max_current_a, max(c.min_current_a, level)) for c in wanting]

    if sum(at(math.inf)) <= budget:
        return at(math.inf)
    low, high = 0.0, max(c.max_current_a for c in wanting)
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if sum(at(middle)) <= budget else (low, middle)
    return at(low)


def _rounded(charger: ChargerSpec, value: float) -> float:
    return max(charger.min_current_a, floor_tenth(value))


def share_out(wanting: Sequence[ChargerSpec], budget: float) -> dict[str, float]:
    """Each wanting charger's current; 0 for those paused because their minimum does not fit."""
    can = [c for c in wanting if c.max_current_a >= c.min_current_a and c.max_current_a > 0]
    while can and sum(c.min_current_a for c in can) > budget:
        can.pop()  # the last listed pauses first
    granted = dict.fromkeys((c.id for c in wanting), 0.0)
    if can:
        for charger, value in zip(can, _level_shares(can, budget), strict=True):
            granted[charger.id] = _rounded(charger, value)
    return granted


def reserved_for(charger: ChargerSpec, state: ChargerState, held: float,
                 uncontrolled: bool) -> float | None:
    """What must be kept aside for a charger evfault cannot steer, or None when it can."""
    if state is ChargerState.OFFLINE:
        # A limit sent before it went quiet holds until its profile runs out.
        return max(reservation(charger), min(max(0.0, held), max(0.0, charger.max_current_a)))
    if uncontrolled and state is ChargerState.CHARGING:
        return max(0.0, charger.max_current_a)  # it refuses limits: it may draw them all
    return None


def allocate(site: Site, states: Mapping[str, ChargerState], meter: Reading | None = None,
             ems: Reading | None = None, held: Mapping[str, float] | None = None,
             uncontrolled: Collection[str] = ()) -> Allocation:
    """Each charger's allowed current (and each offline one's reservation) for `site`.

    A charger with no known state counts as offline: evfault has not heard from it, so it may be
    charging on its own settings. `held`: limits still in force on chargers (an offline one
    may draw up to it until its profile runs out); `uncontrolled`: chargers that refuse limits.
    """
    held = held or {}
    limit, limit_source = site_limit(site, ems)
    metered, meter_source = metered_load(site, meter)
    state_of = {c.id: states.get(c.id, ChargerState.OFFLINE) for c in site.chargers}
    kept = {c.id: reserved_for(c, state_of[c.id], held.get(c.id, 0.0), c.id in uncontrolled)
            for c in site.chargers}
    reserved = {cid: amps for cid, amps in kept.items() if amps is not None}
    budget = limit - metered - sum(reserved.values())
    wanting = [c for c in site.chargers
               if state_of[c.id] is ChargerState.CHARGING and c.id not in reserved]
    granted = share_out(wanting, budget)
    shares = tuple(
        Share(c.id, state_of[c.id], allocated_a=granted.get(c.id, 0.0),
              reserved_a=reserved.get(c.id, 0.0),
              paused=c.id in granted and granted[c.id] == 0.0)
        for c in site.chargers
    )
    return Allocation(site.id, site.fuse_limit_a, limit, limit_source, metered, meter_source,
                      shares)
