"""Many write batches → the rows of one transaction, one parameter list per statement. Pure.

Append-only rows (messages, status events and changes, connectivity) are kept in order, as
tuples in the column order of `LOG_COLUMNS`, with timestamps already in the form the driver
takes (see writes.py for why). State rows are coalesced, last write wins: a charger's facts, a
connector's latest status, an incident's latest version. Every charger a batch mentions gets a
`chargers` row, so the connectors and incidents that refer to it always find it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evfault.store.model import (
    ChargerUpdate,
    ConnectorUpdate,
    MessageRow,
    StatusEventRow,
    WriteBatch,
)
from evfault.store.times import as_utc, storable
from evfault.tracking.model import ConnectivityChange, Incident, StatusChange

Params = dict[str, Any]
LogRow = tuple[Any, ...]
TimeEncoder = Callable[[datetime], Any]

LOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": ("charger_id", "direction", "at", "action", "message_id", "raw"),
    "status_events": ("charger_id", "connector_id", "status", "error_code", "info", "vendor_id",
                      "vendor_error_code", "charger_time", "received_at"),
    "status_changes": ("charger_id", "connector_id", "status", "previous", "at", "time_flagged"),
    "connectivity": ("charger_id", "online", "at", "reason"),
}

_FACTS = ("vendor", "model", "serial", "firmware", "protocol", "last_seen", "booted_at", "node")


@dataclass(slots=True)
class ChargerMerge:
    """What one group says about one charger.

    `online` is None when the group says nothing about connectivity. `keep_offline_since`: the
    group only ever saw the charger offline, so if it was already offline before, its offline
    period began earlier and the stored `offline_since` stands.
    """

    charger_id: str
    first_seen: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    online: bool | None = None
    offline_since: datetime | None = None
    keep_offline_since: bool = False
    updated: bool = False  # False: only mentioned; the row is created if missing, never changed

    def seen(self, at: datetime | None) -> None:
        if at is None:
            return
        at = as_utc(at)  # naive and aware times may meet in one group
        if self.first_seen is None or at < self.first_seen:
            self.first_seen = at

    def apply_update(self, update: ChargerUpdate) -> None:
        self.updated = True
        for name in _FACTS:
            value = getattr(update, name)
            if value is not None:
                self.facts[name] = value
        self.seen(update.last_seen)
        self.seen(update.booted_at)
        if update.online is True:
            self.went_online()
        elif update.online is False:
            self.went_offline(None)

    def apply_connectivity(self, change: ConnectivityChange) -> None:
        self.updated = True
        self.seen(change.at)
        if change.online:
            self.went_online()
        else:
            self.went_offline(change.at)

    def went_online(self) -> None:
        self.online, self.offline_since, self.keep_offline_since = True, None, False

    def went_offline(self, at: datetime | None) -> None:
        if self.online is False:  # already offline within this group: the period goes on
            self.offline_since = self.offline_since or at
            return
        self.keep_offline_since = self.online is None
        self.online, self.offline_since = False, at

    def params(self) -> Params:
        return {
            "id": self.charger_id,
            **{name: self.facts.get(name) for name in _FACTS},
            "first_seen": self.first_seen,
            "online": bool(self.online),
            "offline_since": self.offline_since,
            "p_online": self.online,
            "p_keep": self.keep_offline_since,
        }

    def new_row_params(self) -> Params:
        return {"id": self.charger_id, "first_seen": self.first_seen, "online": False}


@dataclass(slots=True)
class GroupRows:
    """Parameter lists for one transaction, in the order they must be written."""

    charger_updates: list[Params] = field(default_factory=list)
    charger_mentions: list[Params] = field(default_factory=list)
    connectors: list[Params] = field(default_factory=list)
    incidents: list[Params] = field(default_factory=list)
    messages: list[LogRow] = field(default_factory=list)
    status_events: list[LogRow] = field(default_factory=list)
    status_changes: list[LogRow] = field(default_factory=list)
    connectivity: list[LogRow] = field(default_factory=list)
    # The encoder the log rows went through, remembering what it encoded: the state rows'
    # times are mostly the same few instants, encoded once per group.
    encode: TimeEncoder | None = None


def group_rows(batches: Iterable[WriteBatch], now: datetime, encode: TimeEncoder) -> GroupRows:
    """The rows of one transaction for `batches`, applied in the order given.

    `now` dates a charger first seen in a batch that carries no time; `encode` turns the
    timestamps of log rows into what the driver stores.
    """
    encode = memoized(encode)
    rows = GroupRows(encode=encode)
    merges: dict[str, ChargerMerge] = {}
    connectors: dict[tuple[str, int], Params] = {}
    incidents: dict[str, Params] = {}
    for batch in batches:
        _add_batch(batch, rows, merges, connectors, incidents, encode)
    for merge in merges.values():
        if merge.first_seen is None:
            merge.first_seen = now
        target = rows.charger_updates if merge.updated else rows.charger_mentions
        target.append(merge.params() if merge.updated else merge.new_row_params())
    rows.connectors = list(connectors.values())
    rows.incidents = list(incidents.values())
    return rows


def memoized(encode: TimeEncoder) -> TimeEncoder:
    """`encode` with a memory for one group: its rows repeat a handful of instants (a message's
    receipt dates both frames, its status event, the charger's last_seen and the connector), so
    ~12 encodings per message become ~2 (ISO text costs ~1.5 µs a time on SQLite)."""
    known: dict[datetime, Any] = {}

    def encoded(at: datetime) -> Any:
        found = known.get(at)
        if found is None:
            found = known[at] = encode(at)
        return found

    return encoded


def _add_batch(
    batch: WriteBatch,
    rows: GroupRows,
    merges: dict[str, ChargerMerge],
    connectors: dict[tuple[str, int], Params],
    incidents: dict[str, Params],
    encode: TimeEncoder,
) -> None:
    def merge(charger_id: str) -> ChargerMerge:
        found = merges.get(charger_id)
        if found is None:
            found = merges[charger_id] = ChargerMerge(charger_id)
        return found

    for update in batch.chargers:
        merge(update.charger_id).apply_update(update)
    # Connectivity after the facts: it is the tracker's verdict on online/offline.
    for change in batch.connectivity:
        merge(change.charger_id).apply_connectivity(change)
        rows.connectivity.append(_connectivity(change, encode))
    for message in batch.messages:
        merge(message.charger_id).seen(message.at)
        rows.messages.append(_message(message, encode))
    for event in batch.status_events:
        merge(event.charger_id).seen(event.received_at)
        rows.status_events.append(_status_event(event, encode))
    for status in batch.status_changes:
        merge(status.charger_id).seen(status.at)
        rows.status_changes.append(_status_change(status, encode))
    for connector in batch.connectors:
        merge(connector.charger_id).seen(connector.at)
        connectors[(connector.charger_id, connector.connector_id)] = _connector(connector)
    for incident in batch.incidents:
        merge(incident.charger_id).seen(incident.opened_received_at)
        incidents[incident.id] = incident_params(incident)


# Each in the order of LOG_COLUMNS.


def _message(row: MessageRow, encode: TimeEncoder) -> LogRow:
    # A frame is logged as it came, but a NUL (PostgreSQL refuses it in text) must not fail
    # the whole group: the frame and the message id a charger chose are made storable.
    message_id, raw = row.message_id, row.raw
    if message_id is not None:
        message_id = storable(message_id)
    if raw is not None:  # NOT NULL: the database refuses a batch without a frame, as it should
        raw = storable(raw)
    return (row.charger_id, row.direction, encode(row.at), row.action, message_id, raw)


def _status_event(row: StatusEventRow, encode: TimeEncoder) -> LogRow:
    charger_time = encode(row.charger_time) if row.charger_time is not None else None
    return (row.charger_id, row.connector_id, row.status, row.error_code, row.info,
            row.vendor_id, row.vendor_error_code, charger_time, encode(row.received_at))


def _status_change(change: StatusChange, encode: TimeEncoder) -> LogRow:
    return (change.charger_id, change.connector_id, change.status, change.previous,
            encode(change.at), change.time_flagged)


def _connectivity(change: ConnectivityChange, encode: TimeEncoder) -> LogRow:
    return (change.charger_id, change.online, encode(change.at), change.reason)


def _connector(update: ConnectorUpdate) -> Params:
    return {
        "charger_id": update.charger_id, "connector_id": update.connector_id,
        "status": update.status, "error_code": update.error_code, "updated_at": update.at,
    }


INCIDENT_FIELDS: Sequence[str] = (
    "id", "charger_id", "connector_id", "scheme", "code", "title", "severity", "opened_at",
    "opened_received_at", "vendor_id", "error_code", "info", "reading_value", "reading_unit",
    "status", "warning_only", "time_flagged", "last_seen_at", "reports", "cleared_at",
    "cleared_received_at", "code_guessed",
)


def incident_params(incident: Incident) -> Params:
    params: Params = {name: getattr(incident, name) for name in INCIDENT_FIELDS}
    params["cleared_by"] = incident.cleared_by.value if incident.cleared_by else None
    params["set_rule"] = incident.set_rule.value
    return params
