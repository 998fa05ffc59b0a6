"""A charger's OCPP connector statuses → the state the allocation needs (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from evfault.sites.model import ChargerState, Reading, SourceState

# 1.6 statuses in which a vehicle takes or waits for current; 2.0.1 says only "Occupied",
# which may be a vehicle charging: it is counted as wanting current (the safe side is to
# give it a share, which the limit bounds, rather than to forget it).
WANTS_CURRENT = frozenset({"Charging", "SuspendedEVSE", "SuspendedEV", "Occupied"})


def charger_state(online: bool | None, statuses: Iterable[tuple[int, str]]) -> ChargerState:
    """From the charger's connectivity and its connectors' (id, status) pairs."""
    if not online:
        return ChargerState.OFFLINE
    by_connector = dict(statuses)
    outlets = {k: v for k, v in by_connector.items() if k != 0}
    if any(s in WANTS_CURRENT for s in outlets.values()):
        return ChargerState.CHARGING
    if by_connector.get(0) == "Faulted" or (outlets and all(
            s == "Faulted" for s in outlets.values())):
        return ChargerState.FAULTED
    return ChargerState.IDLE


def site_link_cut(states: Mapping[str, ChargerState], sources: Iterable[Reading]) -> bool:
    """Everything at the site went silent at once: evfault's link to the site is cut.

    One device failing is that device's problem; every charger and every meter or EMS gone
    together is the site's connection (the seed's "Controller Offline"). It takes two devices
    to tell the two apart.
    """
    readings = list(sources)
    if len(states) + len(readings) < 2 or not states:
        return False
    # A source not yet read since evfault started (unknown) says nothing about the link.
    return (all(s is ChargerState.OFFLINE for s in states.values())
            and all(r.state is SourceState.OFFLINE for r in readings))


def as_seen(reading: Reading | None, link_cut: bool) -> Reading | None:
    """A source that stopped answering while the whole site is cut off is unknown, not offline."""
    if reading is not None and link_cut and reading.state is SourceState.OFFLINE:
        return Reading(SourceState.UNKNOWN)
    return reading
