"""Log records through the server's own message path: the same frames, the same incidents.

Every frame a charger sent goes to `MessagePath.incoming`, exactly as the live server hands it
over; connection records of an `evfault export` go to `connected`/`disconnected`; time moves
by the log's own timestamps (`tick`). Frames the central system sent, and answers, change no
incident and are passed over. An `evfault export` records every connectivity change the server
made, so the tracker's own silence detection and offline grace are off for it (the records
already say when each charger went offline); other logs have no such records and are judged by
their silences.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from evfault.analytics.model import ChargerInfo
from evfault.analytics.uptime import Exclusion
from evfault.conformance.schemas import version_of
from evfault.logs.records import IN, OUT, Excluded, Frame, Header, Link, Record, Unreadable
from evfault.pipeline import HANDLERS, MessagePath, PathConfig
from evfault.tracking.config import TrackerConfig
from evfault.tracking.model import (
    Change,
    ConnectivityChange,
    Incident,
    IncidentChange,
    StatusChange,
)
from evfault.tracking.tracker import Tracker

CHARGER_ACTIONS = frozenset(itertools.chain.from_iterable(HANDLERS.values()))
MAX_REASONS = 20  # unreadable lines reported one by one; the rest only counted


@dataclass
class Replayed:
    """What a log holds, as the tracker saw it."""

    incidents: dict[str, Incident] = field(default_factory=dict)  # latest state, by id
    status_changes: list[StatusChange] = field(default_factory=list)
    connectivity: list[ConnectivityChange] = field(default_factory=list)
    chargers: dict[str, ChargerInfo] = field(default_factory=dict)
    frames: int = 0  # frames from chargers handled
    skipped: int = 0  # frames to chargers and answers: no bearing on incidents
    rejected: int = 0  # frames the server would have answered with a CALLERROR
    unreadable: int = 0
    reasons: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, why)
    exclusions: dict[str, Exclusion] = field(default_factory=dict)  # from an export
    first: datetime | None = None
    last: datetime | None = None


class Replay:
    """Feed records (from any number of files, oldest first) and read `result`."""

    def __init__(self, config: TrackerConfig | None = None, until: datetime | None = None,
                 heartbeat_interval: int = 300) -> None:
        self._config = config or TrackerConfig()
        self._until = until
        self._heartbeat = heartbeat_interval
        self._ids = (f"{n:032x}" for n in itertools.count(1))
        self._path: MessagePath | None = None
        self._protocols: dict[str, str] = {}
        self._now: datetime | None = None
        self.result = Replayed()
        self.stopped = False  # a record past `until` was reached

    # ---- feeding ----------------------------------------------------------------------------

    def feed(self, records: Iterable[Record], source: str = "-", default_charger: str = "CP"
             ) -> None:
        for record in records:
            if isinstance(record, Frame):
                self._frame(record, source, default_charger)
            elif isinstance(record, Link):
                self._link(record)
            elif isinstance(record, Header):
                self._header(record)
            elif isinstance(record, Excluded):
                self._excluded(source, record)
            else:
                self._unreadable(source, record)
            if self.stopped:
                return

    def finish(self) -> Replayed:
        """Run the clock to the end (`until`, or the last record) and return what was found."""
        end = self._until or self.result.last
        if self._path is not None and end is not None:
            self._apply(self._path.tick(end))
        return self.result

    # ---- records ------------------------------------------------------------------------------

    def _header(self, header: Header) -> None:
        self._protocols.update(header.protocols)
        if self._path is None:
            # An export records every connectivity change the server made, dated as it dated
            # them: they replace silence detection and the grace (the server already waited).
            self._config = TrackerConfig(
                reboot_window=self._config.reboot_window, clock_skew=self._config.clock_skew,
                offline_grace=0, heartbeat_interval=0)

    def _frame(self, record: Frame, source: str, default_charger: str) -> None:
        if record.direction == OUT:
            self.result.skipped += 1
            return
        value = record.value
        if value is None:
            try:
                value = orjson.loads(record.text)
            except orjson.JSONDecodeError:
                self._unreadable(source, Unreadable(record.line, "the frame is not valid JSON"))
                return
        if not (isinstance(value, list) and len(value) == 4 and value[0] == 2):
            self.result.skipped += 1  # an answer: it changes no incident
            return
        action = value[2]
        if action not in CHARGER_ACTIONS and record.direction != IN:
            self.result.skipped += 1  # a call the central system made
            return
        at = record.at or self._now
        if at is None:
            self._unreadable(source, Unreadable(record.line, "the line has no time, and no "
                                                "line before it had one"))
            return
        if not self._advance(at):
            return
        charger = record.charger_id or default_charger
        version = self._version(charger, action, value[3])
        text = record.text or orjson.dumps(value).decode()
        done = self._path_().incoming(charger, version, text, at)
        self.result.frames += 1
        if done.error is not None:
            self.result.rejected += 1
        for update in done.batch.chargers:
            if update.vendor or update.model or update.firmware:
                self.result.chargers[charger] = ChargerInfo(
                    charger, update.vendor, update.model, update.firmware)
        self._apply(done.changes)

    def _link(self, record: Link) -> None:
        if not self._advance(record.at):
            return
        path = self._path_()
        if record.online:
            version = self._protocols.get(record.charger_id, "1.6")
            self._apply(path.connected(record.charger_id, version, record.at).changes)
        else:
            self._apply(path.disconnected(record.charger_id, record.at).changes)

    def _excluded(self, source: str, record: Excluded) -> None:
        try:
            self.result.exclusions[record.outage_id] = Exclusion(record.reason, record.notes)
        except ValueError as exc:
            self._unreadable(source, Unreadable(record.line, str(exc)))

    def _unreadable(self, source: str, record: Unreadable) -> None:
        self.result.unreadable += 1
        if len(self.result.reasons) < MAX_REASONS:
            self.result.reasons.append((source, record.line, record.reason))

    # ---- helpers ------------------------------------------------------------------------------

    def _advance(self, at: datetime) -> bool:
        """Move the clock to `at` (running due deadlines); False once past `until`."""
        if self._until is not None and at > self._until:
            self.stopped = True
            return False
        if self.result.first is None:
            self.result.first = at
        if self._now is None or at > self._now:
            self._now = at
            self.result.last = at
            if self._path is not None:
                self._apply(self._path.tick(at))
        return True

    def _path_(self) -> MessagePath:
        if self._path is None:
            tracker = Tracker(self._config, lambda: next(self._ids))
            self._path = MessagePath(tracker, PathConfig(self._heartbeat, judge=False))
        return self._path

    def _version(self, charger: str, action: str, payload: object) -> str:
        known = self._protocols.get(charger)
        if known is not None:
            return known
        guessed = version_of(action, payload)
        if guessed is None or (guessed == "1.6" and action in ("Heartbeat", "DataTransfer")):
            return "1.6"  # the same in both versions: no evidence either way
        self._protocols[charger] = guessed
        return guessed

    def _apply(self, changes: Iterable[Change]) -> None:
        result = self.result
        for change in changes:
            if isinstance(change, IncidentChange):
                result.incidents[change.incident.id] = change.incident
            elif isinstance(change, StatusChange):
                result.status_changes.append(change)
            elif isinstance(change, ConnectivityChange):
                result.connectivity.append(change)
