"""The tracker: decoded events in, incident, status and connectivity changes out.

Pure and deterministic: no I/O, no clock of its own (every event carries its time and `tick`
is told the time), ids come from the generator it is given. The live server and the log
analyser feed it the same events and get the same changes.

Time-driven work is done twice over, on purpose: `tick(now)` runs every deadline that has
expired across all chargers, and each event first runs its own charger's expired deadlines up
to the event's time. So the outcome does not depend on how often the caller ticks; a log
analyser only needs a final `tick` at the end of its logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import assert_never

from evfault.decode.model import FAULTED_NO_CODE, PLATFORM, Fault, Report, SetRule, faulted
from evfault.tracking.charger import ChargerState
from evfault.tracking.config import TrackerConfig, check_non_negative
from evfault.tracking.connectivity import Connectivity
from evfault.tracking.connector import (
    ConnectorState,
    ReportContext,
    apply_report,
    clear,
    clear_reason,
    expire_pending,
    mark_pending,
)
from evfault.tracking.deadlines import Deadlines, Timer
from evfault.tracking.model import (
    Booted,
    Change,
    ClearedBy,
    Connected,
    Disconnected,
    Event,
    Heard,
    Incident,
    ReportReceived,
    StatusChange,
)
from evfault.tracking.restore import ChargerSnapshot, ConnectorSnapshot, first_of_each
from evfault.tracking.timing import Stamp, stamp

__all__ = ["Tracker", "TrackerConfig"]


class Tracker:
    """Active errors per connector and connectivity per charger, for any number of chargers."""

    def __init__(self, config: TrackerConfig, new_id: Callable[[], str]) -> None:
        self.config = config
        self._new_id = new_id
        self._window = timedelta(seconds=config.reboot_window)
        self._skew = timedelta(seconds=config.clock_skew)
        self._chargers: dict[str, ChargerState] = {}
        self._deadlines = Deadlines()
        self._links = Connectivity(self._deadlines, timedelta(seconds=config.offline_grace))
        self._default_silence = config.silence_span(config.heartbeat_interval)
        # Codes not opened because their connector already held `max_open_incidents`.
        self.refused_incidents = 0

    # ---- events -----------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Change]:
        """Apply one event; returns every change it causes, in order."""
        if isinstance(event, Heard):  # first: every message of every charger is one
            return self.heard(event.charger_id, event.at)
        if isinstance(event, ReportReceived):
            return self._report(event)
        if isinstance(event, Booted):
            return self._booted(event)
        if isinstance(event, Connected):
            return self._connected(event)
        if isinstance(event, Disconnected):
            return self._disconnected(event)
        assert_never(event)

    def heard(self, charger_id: str, at: datetime) -> list[Change]:
        """A message that carries no report (heartbeat, meter values, …): the charger is alive.

        The common case, a connected and online charger with no deadline passed, touches one
        dict entry and allocates nothing but the returned list; callers on a hot path may call
        this directly instead of building a `Heard`.
        """
        c = self._chargers.get(charger_id)
        if c is not None and c.steady:
            due = c.next_due
            if due is None or at < due:
                last = c.last_seen
                if last is None or at > last:
                    c.last_seen = at
                return []
        c = self._charger(charger_id)
        changes = self._message(c, at)
        c.settle()
        return changes

    def tick(self, now: datetime) -> list[Change]:
        """Apply every deadline that has passed by `now`; costs O(expired · log n)."""
        changes: list[Change] = []
        while (entry := self._deadlines.pop_due(now)) is not None:
            _, token, charger_id, timer = entry
            c = self._chargers.get(charger_id)
            if c is None or not c.owns(token, timer):
                continue  # moved, cancelled or forgotten since it was pushed
            changes += self._fire(c, timer, now)
            c.settle()
        return changes

    # ---- queries and administration ----------------------------------------------------------

    def active(self, charger_id: str | None = None) -> list[Incident]:
        """Active incidents: by charger (first seen first), connector id, then opening order."""
        return [incident for c in self._selected(charger_id) for incident in _incidents(c)]

    def online(self, charger_id: str) -> bool | None:
        """Whether the charger counts as online (None: never judged)."""
        c = self._chargers.get(charger_id)
        return None if c is None else c.online

    def silence_deadline(self, charger_id: str) -> datetime | None:
        """When a connected, online charger that stays quiet would count as offline (None:
        not connected, already offline, or its silences are not judged)."""
        c = self._chargers.get(charger_id)
        if (c is None or c.silence is None or not c.connected or c.online is not True
                or c.last_seen is None):
            return None
        return c.last_seen + c.silence

    def status(self, charger_id: str, connector_id: int) -> str | None:
        c = self._chargers.get(charger_id)
        conn = None if c is None else c.connectors.get(connector_id)
        return None if conn is None else conn.status

    @property
    def deadline_count(self) -> int:
        """Entries in the deadline heap, stale ones included (a gauge for monitoring)."""
        return len(self._deadlines)

    def forget(self, charger_id: str) -> None:
        """Drop a charger (it moved to another node); its heap entries go stale."""
        self._chargers.pop(charger_id, None)

    def set_heartbeat_interval(self, charger_id: str, seconds: float) -> None:
        """The interval this charger was told to keep (0: do not judge its silences)."""
        check_non_negative("heartbeat interval", seconds)
        c = self._charger(charger_id)
        c.silence = self.config.silence_span(seconds)
        self._links.arm_silence(c)
        c.settle()

    def restore(
        self,
        incidents: Iterable[Incident],
        connectors: Iterable[ConnectorSnapshot],
        chargers: Iterable[ChargerSnapshot],
        heartbeat_intervals: Mapping[str, float] | None = None,
    ) -> None:
        """Rebuild from the store after a restart, or take over chargers from another node.

        The chargers named are replaced, not merged. A charger stored as online is presumed
        still connected: if it never speaks again its silence marks it offline, dated from
        the last time it was heard. Reboot windows open at the restart are not rebuilt.
        """
        incidents = first_of_each(incidents)
        connectors = list(connectors)
        chargers = list(chargers)
        named = [r.charger_id for r in chargers] + [r.charger_id for r in connectors]
        for charger_id in (*named, *(i.charger_id for i in incidents)):
            self.forget(charger_id)
        for row in chargers:
            interval = (heartbeat_intervals or {}).get(row.charger_id)
            self._restore_charger(row, interval)
        for conn_row in connectors:
            self._charger(conn_row.charger_id).connector(conn_row.connector_id).status = (
                conn_row.status
            )
        for incident in incidents:
            conn = self._charger(incident.charger_id).connector(incident.connector_id)
            conn.incidents[incident.key] = incident

    # ---- event handlers ----------------------------------------------------------------------

    def _report(self, event: ReportReceived) -> list[Change]:
        c = self._charger(event.charger_id)
        changes = self._message(c, event.received_at)
        report = event.report
        when = stamp(report.timestamp, event.received_at, c.booted_at, self._skew,
                     c.first_seen)
        changes += self._status(c, report, when)
        changes += self._incidents(c, report, when)
        c.settle()
        return changes

    def _booted(self, event: Booted) -> list[Change]:
        c = self._charger(event.charger_id)
        at = event.received_at
        changes = self._message(c, at)
        c.booted_at = at
        waiting = [mark_pending(conn, at) for conn in c.connectors.values()]
        if any(waiting):
            c.arm(self._deadlines, Timer.REBOOT, at + self._window)
        c.settle()
        return changes

    def _connected(self, event: Connected) -> list[Change]:
        c = self._charger(event.charger_id)
        _first_seen(c, event.at)
        changes = self._catch_up(c, event.at)
        changes += self._links.connected(c, event.at)
        c.settle()
        return changes

    def _disconnected(self, event: Disconnected) -> list[Change]:
        c = self._charger(event.charger_id)
        changes = self._catch_up(c, event.at)
        self._links.disconnected(c, event.at)
        c.settle()
        return changes

    # ---- rules -------------------------------------------------------------------------------

    def _message(self, c: ChargerState, at: datetime) -> list[Change]:
        """What every message from a charger does before its own content counts."""
        _first_seen(c, at)
        changes = self._catch_up(c, at)
        changes += self._links.message(c, at)
        return changes

    def _status(self, c: ChargerState, report: Report, when: Stamp) -> list[Change]:
        """A status period starts whenever a connector's status differs from its last one."""
        if report.status is None:
            return []
        conn = c.connector(report.connector_id)
        previous = conn.status
        if previous == report.status:
            return []
        conn.status = report.status
        return [StatusChange(c.charger_id, report.connector_id, report.status, when.at,
                             previous, time_flagged=when.flagged)]

    def _incidents(self, c: ChargerState, report: Report, when: Stamp) -> list[Change]:
        changes: list[Change] = []
        by = clear_reason(report)
        reconciled = _answers_reconcile(c, report, when)
        for connector_id, faults, cleared in _by_connector(report):
            own = connector_id == report.connector_id
            ctx = ReportContext(
                charger_id=c.charger_id,
                connector_id=connector_id,
                stamp=when,
                status=report.status if own else None,
                error_code=report.error_code,
                rule=report.rule,
                new_id=self._new_id,
            )
            conn = c.connector(connector_id)
            faults = self._within_limit(conn, faults)
            if own:
                faults = _with_unexplained(conn, report, faults)
            changes += apply_report(
                conn, faults, cleared, ctx, clear_all=own and (report.clear_all or reconciled),
                clear_by=by, all_by=ClearedBy.RECONCILED if reconciled else ClearedBy.NO_ERROR)
            if own and report.status is not None and not faulted(report.status):
                left = clear(conn, NO_CODE_KEY, when, ClearedBy.STATUS)
                if left is not None:
                    changes.append(left)
        return changes

    def reconcile(self, charger_id: str, until: datetime) -> list[int]:
        """evfault asks the charger for its status (a reconnect, a restart): until `until`, a
        connector that answers Available with no error has its incidents closed as
        `reconciled`. Returns the connectors that hold active incidents (nothing to ask if
        none)."""
        c = self._chargers.get(charger_id)
        if c is None:
            return []
        held = [cid for cid, conn in sorted(c.connectors.items()) if conn.incidents]
        c.reconcile_until = until if held else None
        return held

    def _within_limit(self, conn: ConnectorState, faults: list[Fault]) -> list[Fault]:
        """The faults that may open or continue: a connector holds at most
        `max_open_incidents`; codes beyond that are counted, never opened."""
        room = self.config.max_open_incidents - len(conn.incidents)
        if room >= len(faults):
            return faults
        kept: list[Fault] = []
        for fault in faults:
            if fault.key in conn.incidents or any(k.key == fault.key for k in kept):
                kept.append(fault)
            elif room > 0:
                kept.append(fault)
                room -= 1
            else:
                self.refused_incidents += 1
        return kept

    # ---- deadlines ---------------------------------------------------------------------------

    def _catch_up(self, c: ChargerState, now: datetime) -> list[Change]:
        """Run this charger's deadlines that passed before `now`, earliest first."""
        changes: list[Change] = []
        while c.next_due is not None and c.next_due <= now:
            timer = c.earliest()
            if timer is None:
                break
            changes += self._fire(c, timer, now)
            c.settle()
        return changes

    def _fire(self, c: ChargerState, timer: Timer, now: datetime) -> list[Change]:
        c.disarm(timer)
        if timer is Timer.REBOOT:
            return [change for conn in _connectors(c) for change in expire_pending(conn)]
        if timer is Timer.OFFLINE:
            return list(self._links.offline_due(c))
        return list(self._links.silence_due(c, now))

    # ---- state -------------------------------------------------------------------------------

    def _charger(self, charger_id: str) -> ChargerState:
        c = self._chargers.get(charger_id)
        if c is None:
            c = self._chargers[charger_id] = ChargerState(charger_id, self._default_silence)
        return c

    def _selected(self, charger_id: str | None) -> Iterable[ChargerState]:
        if charger_id is None:
            return self._chargers.values()
        c = self._chargers.get(charger_id)
        return () if c is None else (c,)

    def _restore_charger(self, row: ChargerSnapshot, interval: float | None) -> None:
        c = self._charger(row.charger_id)
        if interval is not None:
            c.silence = self.config.silence_span(interval)
        c.online = row.online
        c.connected = row.online
        c.last_seen = row.last_seen
        c.spoke = row.last_seen is not None
        c.booted_at = row.booted_at
        c.first_seen = getattr(row, "first_seen", None)
        self._links.arm_silence(c)
        c.settle()


NO_CODE_KEY = (PLATFORM, FAULTED_NO_CODE)


def _answers_reconcile(c: ChargerState, report: Report, when: Stamp) -> bool:
    """Whether this report is an "all is well" answer to our request for the status."""
    until = c.reconcile_until
    if until is None or when.received_at > until:
        return False
    status = report.status
    return (status is not None and status.lower() == "available" and not report.faults
            and report.error_code in (None, "NoError"))


def _with_unexplained(conn: ConnectorState, report: Report, faults: list[Fault]) -> list[Fault]:
    """A Faulted connector with no code stays visible as "Faulted, no code given", unless a
    code that is still active explains it (a 2.0.1 NotifyEvent's, which a status keeps)."""
    fault = report.unexplained
    if fault is None:
        return faults
    explained = any(key != NO_CODE_KEY for key in conn.incidents)
    if explained and not report.clear_all:
        return faults
    return [*faults, fault]


def _first_seen(c: ChargerState, at: datetime) -> None:
    if c.first_seen is None or at < c.first_seen:
        c.first_seen = at


def _connectors(c: ChargerState) -> Iterator[ConnectorState]:
    return (conn for _, conn in sorted(c.connectors.items()))


def _incidents(c: ChargerState) -> Iterator[Incident]:
    for _, conn in sorted(c.connectors.items()):
        yield from conn.incidents.values()


def _by_connector(report: Report) -> list[tuple[int, list[Fault], list[Fault]]]:
    """The report's faults and clears per connector: its own first, then any other a 2.0.1
    event names (an ACCUMULATE fault stands alone; a REPLACE set belongs to its connector)."""
    own = report.connector_id
    if report.rule is SetRule.REPLACE:
        return [(own, list(report.faults), list(report.cleared))]
    groups: dict[int, tuple[list[Fault], list[Fault]]] = {own: ([], [])}
    for fault in report.faults:
        groups.setdefault(_target(fault, own), ([], []))[0].append(fault)
    for fault in report.cleared:
        groups.setdefault(_target(fault, own), ([], []))[1].append(fault)
    return [(cid, faults, cleared) for cid, (faults, cleared) in groups.items()]


def _target(fault: Fault, own: int) -> int:
    return own if fault.connector_id is None else fault.connector_id
