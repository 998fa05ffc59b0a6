"""The lean state of a virtual charger's connectors (thousands of chargers share one process)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from evfault.sim.mrec import Condition


class Phase(IntEnum):
    """Where a connector is in a charging session."""

    IDLE = 0  # Available
    PREPARING = 1  # plugged in, not yet charging
    CHARGING = 2
    SUSPENDED = 3  # SuspendedEV: the car is full
    FINISHING = 4  # transaction stopped, cable still in


# OCPP 1.6 ChargePointStatus of each phase.
STATUS_16 = {
    Phase.IDLE: "Available",
    Phase.PREPARING: "Preparing",
    Phase.CHARGING: "Charging",
    Phase.SUSPENDED: "SuspendedEV",
    Phase.FINISHING: "Finishing",
}


@dataclass(slots=True)
class ActiveFault:
    """A fault active on a connector: its latched conditions, as reported when it tripped."""

    id: int
    kind: str  # "evgo", "chargex" or "ocpp"
    conditions: tuple[Condition, ...]
    broken: str | None = None
    resets: int | None = None  # restarts it survives (scripted); None: the outage's chance

    def survives(self, by_chance: bool) -> bool:
        """Whether the fault is still there after a restart (a scripted one counts down)."""
        if self.resets is None:
            return by_chance
        self.resets -= 1
        return self.resets >= 0


# Three phases at 230 V: watts per ampere per phase.
VOLTS_3PHASE = 3 * 230.0


class Connector:
    """One connector (id 0: the charger as a whole, which only ever carries faults)."""

    __slots__ = ("energy_wh", "faults", "gen", "id", "id_tag", "phase", "power_w", "since",
                 "tx_id", "tx_seq", "unavailable")

    def __init__(self, connector_id: int) -> None:
        self.id = connector_id
        self.phase = Phase.IDLE
        self.gen = 0  # bumped when a session ends, so its pending steps are dropped
        self.tx_id: int | str | None = None
        self.tx_seq = 0  # OCPP 2.0.1 TransactionEvent seqNo
        self.id_tag = ""
        self.energy_wh = 0.0  # the meter register, never reset
        self.power_w = 0.0
        self.since = 0.0  # virtual time of the last meter update
        self.faults: list[ActiveFault] = []
        self.unavailable = False

    @property
    def in_session(self) -> bool:
        return self.phase is not Phase.IDLE

    def kinds(self) -> set[str]:
        return {fault.kind for fault in self.faults}

    def conditions(self, kind: str) -> tuple[Condition, ...]:
        """Every active condition of one kind, oldest first, each code once."""
        seen: dict[str, Condition] = {}
        for fault in self.faults:
            if fault.kind == kind:
                for condition in fault.conditions:
                    seen.setdefault(condition.code, condition)
        return tuple(seen.values())

    def status_16(self) -> str:
        """The OCPP 1.6 status the connector shows when no fault is active."""
        if self.unavailable and self.phase is Phase.IDLE:
            return "Unavailable"
        return STATUS_16[self.phase]

    def status_201(self) -> str:
        """The OCPP 2.0.1 ConnectorStatusEnumType value."""
        if self.faults:
            return "Faulted"
        if self.unavailable and self.phase is Phase.IDLE:
            return "Unavailable"
        return "Available" if self.phase is Phase.IDLE else "Occupied"

    def meter_to(self, now: float) -> None:
        """Advance the energy register to virtual time `now` (deterministic, not wall clock)."""
        if self.phase is Phase.CHARGING:
            self.energy_wh += self.power_w * max(0.0, now - self.since) / 3600.0
        self.since = now
