"""A site as plain values: its fuse, its chargers, its meter and EMS, and their states."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# IEC 61851-1: an AC charger cannot signal less than 6 A on the control pilot.
AC_MINIMUM_A = 6.0


class ChargerState(StrEnum):
    """What the allocation needs to know of a charger."""

    CHARGING = "charging"  # a vehicle wants current (Charging, SuspendedEVSE, SuspendedEV)
    IDLE = "idle"  # connected, nothing to charge
    OFFLINE = "offline"  # no connection: it may still charge on its own settings
    FAULTED = "faulted"  # connected and reports it cannot charge


class SourceState(StrEnum):
    """A meter's or EMS's state as the seed names them."""

    ONLINE = "online"
    OFFLINE = "offline"  # stopped answering: its fallback applies
    UNKNOWN = "unknown"  # evfault's own link to the site is cut: nobody can know


@dataclass(frozen=True, slots=True)
class ChargerSpec:
    id: str
    max_current_a: float
    # The current the charger falls back to on its own when it loses the connection; None
    # when the charger has no fallback (then its whole capacity is reserved while offline).
    fallback_current_a: float | None = None
    min_current_a: float = AC_MINIMUM_A
    dc: bool = False
    # A configuration key through which the charger takes its fallback current itself (vendor
    # keys differ; OCPP 1.6 names none), set with ChangeConfiguration / SetVariables.
    fallback_key: str | None = None

    @property
    def fallback_enabled(self) -> bool:
        return self.fallback_current_a is not None


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A Modbus TCP meter or EMS: where to read, how to scale, what to assume when it is gone."""

    url: str  # modbus://host:port
    register: int = 0
    unit: int = 1
    scale: float = 1.0
    fallback_a: float = 0.0
    interval_s: float = 5.0
    grace_s: float = 15.0
    # holding registers (function 3) by default; "input" reads input registers (function 4)
    kind: str = "holding"
    signed: bool = False
    words: int = 1  # 1: a 16-bit register; 2: a 32-bit value over two registers (big-endian)

    @property
    def host(self) -> str:
        return self._address()[0]

    @property
    def port(self) -> int:
        return self._address()[1]

    def _address(self) -> tuple[str, int]:
        rest = self.url.split("://", 1)[1]
        host, _, port = rest.rpartition(":")
        return host.strip("[]"), int(port)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    fuse_limit_a: float  # per phase
    phases: int = 3
    name: str = ""
    chargers: tuple[ChargerSpec, ...] = ()
    meter: SourceSpec | None = None
    ems: SourceSpec | None = None

    @property
    def title(self) -> str:
        return self.name or self.id

    def charger(self, charger_id: str) -> ChargerSpec | None:
        return next((c for c in self.chargers if c.id == charger_id), None)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a source says now: its state and, when online, its value in amperes per phase."""

    state: SourceState
    value_a: float | None = None


@dataclass(frozen=True, slots=True)
class Share:
    """One charger's part of the site: what it may draw, or what is kept for it."""

    charger_id: str
    state: ChargerState
    allocated_a: float = 0.0  # sent to it as its limit
    reserved_a: float = 0.0  # kept aside while it is offline
    paused: bool = False  # it wants to charge but the minimum current does not fit


@dataclass(frozen=True, slots=True)
class Allocation:
    site_id: str
    fuse_limit_a: float
    limit_a: float  # the lower of the fuse and the EMS limit (or the EMS fallback)
    limit_source: str  # "fuse", "ems" or "ems-fallback"
    metered_a: float  # the building's load, or the meter's fallback
    meter_source: str  # "meter", "meter-fallback" or "none"
    shares: tuple[Share, ...] = field(default_factory=tuple)

    @property
    def allocated_a(self) -> float:
        return sum(s.allocated_a for s in self.shares)

    @property
    def reserved_a(self) -> float:
        return sum(s.reserved_a for s in self.shares)

    @property
    def headroom_a(self) -> float:
        return self.limit_a - self.metered_a - self.reserved_a - self.allocated_a

    @property
    def overloaded(self) -> bool:
        """The load nobody can switch off (metered + reserved) is already over the limit."""
        return self.metered_a + self.reserved_a > self.limit_a

    def share(self, charger_id: str) -> Share | None:
        return next((s for s in self.shares if s.charger_id == charger_id), None)
