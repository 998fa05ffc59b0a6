"""What goes into the store and what comes out of it, as plain values.

Writes travel as a `WriteBatch`: everything one charger message causes (the raw frames in and
out, charger facts, status and connectivity changes, incident changes). The store commits
batches from many messages together (group commit) and only then lets the server answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from evfault.tracking.model import ConnectivityChange, Incident, StatusChange

if TYPE_CHECKING:
    from evfault.alerts.healing import Attempt


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One OCPP-J frame, in or out, exactly as it crossed the wire."""

    charger_id: str
    direction: str  # "in" (charger → evfault) or "out"
    at: datetime
    raw: str
    action: str | None = None
    message_id: str | None = None
    id: int | None = None  # assigned by the store


@dataclass(frozen=True, slots=True)
class ChargerUpdate:
    """Facts about a charger; None fields leave what is stored unchanged."""

    charger_id: str
    last_seen: datetime | None = None
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    protocol: str | None = None  # "1.6" or "2.0.1"
    booted_at: datetime | None = None
    online: bool | None = None
    node: str | None = None  # the evfault node holding its connection


@dataclass(frozen=True, slots=True)
class ConnectorUpdate:
    """A connector's latest reported status."""

    charger_id: str
    connector_id: int
    status: str
    error_code: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class StatusEventRow:
    """One status notification as reported (also the ones that change nothing)."""

    charger_id: str
    connector_id: int
    status: str | None
    error_code: str | None
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    charger_time: datetime | None
    received_at: datetime
    id: int | None = None  # assigned by the store


@dataclass(slots=True)
class WriteBatch:
    """Everything one message causes; committed atomically with other batches."""

    messages: list[MessageRow] = field(default_factory=list)
    chargers: list[ChargerUpdate] = field(default_factory=list)
    connectors: list[ConnectorUpdate] = field(default_factory=list)
    status_events: list[StatusEventRow] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    connectivity: list[ConnectivityChange] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)  # upserted by id

    def __bool__(self) -> bool:
        return bool(
            self.messages or self.chargers or self.connectors or self.status_events
            or self.status_changes or self.connectivity or self.incidents
        )


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    charger_id: str
    connector_id: int
    status: str
    error_code: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChargerRow:
    charger_id: str
    online: bool
    last_seen: datetime | None
    vendor: str | None
    model: str | None
    serial: str | None
    firmware: str | None
    protocol: str | None
    booted_at: datetime | None
    offline_since: datetime | None  # start of the current offline period, if offline
    first_seen: datetime | None = None
    node: str | None = None  # the evfault node that last held its connection


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    charger_id: str | None = None
    code: str | None = None
    scheme: str | None = None
    severity: str | None = None
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened before
    state: str | None = None  # "active", "cleared" or None for both
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class StoredState:
    """What a tracker needs after a restart to carry on where the last process stopped."""

    incidents: list[Incident]  # the active ones
    connectors: list[ConnectorRow]
    chargers: list[ChargerRow]


class Store(Protocol):
    """SQLite and PostgreSQL behind one async interface."""

    async def start(self) -> None:
        """Migrate the schema to the newest version and start the writer."""

    async def close(self) -> None:
        """Flush pending writes and release connections."""

    async def write(self, batch: WriteBatch) -> None:
        """Return once the batch is committed durably (grouped with other batches)."""

    async def chargers(self) -> list[ChargerRow]: ...

    async def charger(self, charger_id: str) -> ChargerRow | None: ...

    async def connectors(self, charger_id: str | None = None) -> list[ConnectorRow]: ...

    async def active_incidents(self, charger_id: str | None = None) -> list[Incident]: ...

    async def incidents(self, query: IncidentQuery) -> list[Incident]: ...

    async def count_incidents(self, query: IncidentQuery) -> int: ...

    async def incident_actions(self, incident_ids: Sequence[str]) -> dict[str, list[Attempt]]:
        """Self-healing's actions on each of these incidents, oldest first."""

    async def messages(
        self, charger_id: str, limit: int = 50, before_id: int | None = None
    ) -> list[MessageRow]: ...

    async def status_events(
        self, charger_id: str, limit: int = 50, before_id: int | None = None
    ) -> list[StatusEventRow]:
        """Status notifications as reported, newest first (paged like messages)."""

    async def status_changes(
        self, charger_id: str, since: datetime | None = None, limit: int = 500
    ) -> list[StatusChange]: ...

    async def connectivity(
        self, charger_id: str | None = None, since: datetime | None = None, limit: int = 500
    ) -> list[ConnectivityChange]: ...

    async def load_state(self) -> StoredState:
        """Active incidents, connectors and chargers, read together (for the tracker's restore)."""
