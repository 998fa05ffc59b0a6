"""A charger's OCPP connector statuses → the state the allocation needs (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from evfault.sites.model import ChargerState

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
