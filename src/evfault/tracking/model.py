"""Tracker inputs (events) and outputs (changes) as frozen values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from evfault.decode.model import Report, SetRule


class ClearedBy(StrEnum):
    """What ended an incident."""

    NO_ERROR = "NoError"  # a StatusNotification with errorCode NoError on the connector
    RESOLVED = "resolved"  # a per-code clear ("Error CX002 resolved")
    REPLACED = "replaced"  # a compound report that no longer lists the code
    CLEARED_EVENT = "cleared-event"  # OCPP 2.0.1 NotifyEvent cleared=true
    REBOOT = "reboot"  # not re-reported within the window after a BootNotification
    RECONCILED = "reconciled"  # asked for its status (reconnect, restart), it said all is well
    STATUS = "status"  # "Faulted, no code given" ends when the connector leaves Faulted


class ChangeKind(StrEnum):
    OPENED = "opened"
    CONTINUED = "continued"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class Incident:
    """One code active on one connector, from the moment it opened to the moment it cleared."""

    id: str
    charger_id: str
    connector_id: int
    scheme: str
    code: str
    title: str
    severity: str
    opened_at: datetime  # the charger's time when plausible, else the time of receipt
    opened_received_at: datetime  # when evfault heard it
    vendor_id: str | None = None
    error_code: str | None = None
    info: str | None = None
    reading_value: float | None = None
    reading_unit: str | None = None
    status: str | None = None  # connector status reported with it
    warning_only: bool = False  # reported with a non-Faulted status: charging still possible
    time_flagged: bool = False  # the charger's timestamp was missing, malformed or implausible
    last_seen_at: datetime | None = None
    reports: int = 1
    cleared_at: datetime | None = None
    cleared_by: ClearedBy | None = None
    cleared_received_at: datetime | None = None  # when evfault heard what cleared it
    # How the latest report naming it relates to the connector's set: a REPLACE report only
    # sweeps away incidents that REPLACE reports opened, so a plain status from an EVerest
    # charger cannot wipe the ChargeX codes it clears one by one.
    set_rule: SetRule = SetRule.REPLACE
    # The code's scheme was told by its shape alone: the message named no vendorId (F001 with
    # no vendorId is taken for EVgo's F001, a guess the operator should see as one).
    code_guessed: bool = False

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @property
    def key(self) -> tuple[str, str]:
        return (self.scheme, self.code)

    def duration_s(self, now: datetime) -> float:
        """Seconds open so far (or in total, once cleared)."""
        end = self.cleared_at or now
        return max(0.0, (end - self.opened_at).total_seconds())

    def clear(self, at: datetime, by: ClearedBy) -> Incident:
        return replace(self, cleared_at=max(at, self.opened_at), cleared_by=by)


@dataclass(frozen=True, slots=True)
class IncidentChange:
    kind: ChangeKind
    incident: Incident

    @property
    def charger_id(self) -> str:
        return self.incident.charger_id


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A connector entered a status (one status period ends, the next begins)."""

    charger_id: str
    connector_id: int
    status: str
    at: datetime
    previous: str | None = None
    time_flagged: bool = False  # dated by receipt: the charger's timestamp was unusable


@dataclass(frozen=True, slots=True)
class ConnectivityChange:
    """A charger went offline (dated from when it went silent) or came back."""

    charger_id: str
    online: bool
    at: datetime
    reason: str  # "connected", "disconnected", "silent", "restored"


# ---- inputs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportReceived:
    """A decoded report from a charger, with the time evfault received it."""

    charger_id: str
    report: Report
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Booted:
    charger_id: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Connected:
    charger_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Disconnected:
    charger_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Heard:
    """Any message from a charger: it is alive (heartbeats, meter values, …)."""

    charger_id: str
    at: datetime


Change = IncidentChange | StatusChange | ConnectivityChange
Event = ReportReceived | Booted | Connected | Disconnected | Heard
