"""One connector's active errors, and how one report changes them (the set rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from evfault.decode.model import Fault, Report, SetRule
from evfault.tracking.model import ChangeKind, ClearedBy, Incident, IncidentChange
from evfault.tracking.timing import Stamp, clear_stamp

Key = tuple[str, str]  # (scheme, code): the identity of an error on a connector

FAULTED = "faulted"


class ConnectorState:
    """What the tracker holds for one connector (connectorId 0: the whole charger)."""

    __slots__ = ("incidents", "pending", "status")

    def __init__(self, status: str | None = None) -> None:
        self.status = status
        self.incidents: dict[Key, Incident] = {}  # active ones, in the order they opened
        # Active errors not re-reported since a boot, with that boot's time (the reboot rule).
        self.pending: dict[Key, datetime] = {}


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What every incident one report touches on one connector shares."""

    charger_id: str
    connector_id: int
    stamp: Stamp
    status: str | None  # the connector status the report carried, if any
    error_code: str | None
    rule: SetRule
    new_id: Callable[[], str]


def is_warning(status: str | None) -> bool:
    """OCPP 1.6 §4.9: an error reported with a status other than Faulted still lets a car charge."""
    return status is not None and status.lower() != FAULTED


def clear_reason(report: Report) -> ClearedBy:
    """How a per-code clear was signalled: a 1.6 "resolved" status or a 2.x `cleared` event."""
    if report.version is not None:
        return ClearedBy.RESOLVED if report.version.startswith("1.") else ClearedBy.CLEARED_EVENT
    # Without a version: a 1.6 StatusNotification always carries a status, a NotifyEvent never.
    return ClearedBy.RESOLVED if report.status is not None else ClearedBy.CLEARED_EVENT


# ---- applying a report ------------------------------------------------------------------


def apply_report(
    conn: ConnectorState,
    faults: Iterable[Fault],
    cleared: Iterable[Fault],
    ctx: ReportContext,
    *,
    clear_all: bool,
    clear_by: ClearedBy,
    all_by: ClearedBy = ClearedBy.NO_ERROR,
) -> list[IncidentChange]:
    """Open or continue the faults, clear the cleared ones, then sweep what the rule ends
    (`clear_all`: everything not named ends, by `all_by`)."""
    changes: list[IncidentChange] = []
    named: set[Key] = set()
    for fault in faults:
        if fault.key not in named:  # a code listed twice in one message is one mention
            named.add(fault.key)
            changes.append(open_or_continue(conn, fault, ctx))
    for fault in cleared:
        change = clear(conn, fault.key, ctx.stamp, clear_by)
        if change is not None:
            changes.append(change)
    if clear_all:
        changes += sweep(conn, named, ctx.stamp, all_by, replace_only=False)
    elif ctx.rule is SetRule.REPLACE:
        changes += sweep(conn, named, ctx.stamp, ClearedBy.REPLACED, replace_only=True)
    return changes


def open_or_continue(conn: ConnectorState, fault: Fault, ctx: ReportContext) -> IncidentChange:
    current = conn.incidents.get(fault.key)
    conn.pending.pop(fault.key, None)  # re-reported: it survived any reboot
    if current is None:
        incident = opened(fault, ctx)
        kind = ChangeKind.OPENED
    else:
        incident = continued(current, fault, ctx)
        kind = ChangeKind.CONTINUED
    conn.incidents[fault.key] = incident
    return IncidentChange(kind, incident)


def opened(fault: Fault, ctx: ReportContext) -> Incident:
    reading = fault.reading
    return Incident(
        id=ctx.new_id(),
        charger_id=ctx.charger_id,
        connector_id=ctx.connector_id,
        scheme=fault.scheme,
        code=fault.code,
        title=fault.title,
        severity=fault.severity.value,
        opened_at=ctx.stamp.at,
        opened_received_at=ctx.stamp.received_at,
        vendor_id=fault.vendor_id,
        error_code=fault.error_code or ctx.error_code,
        info=fault.info,
        reading_value=reading.value if reading else None,
        reading_unit=reading.unit if reading else None,
        status=ctx.status,
        warning_only=is_warning(ctx.status),
        time_flagged=ctx.stamp.flagged,
        last_seen_at=ctx.stamp.at,
        set_rule=ctx.rule,
        code_guessed=fault.guessed,
    )


# `continued` and `cleared` build the next version of an incident with every field spelled
# out rather than through dataclasses.replace, which costs twice as much (it looks up every
# field by name and calls with keywords); they run for most reports a charger sends.


def continued(incident: Incident, fault: Fault, ctx: ReportContext) -> Incident:
    """The latest report's reading, info and status replace the previous ones."""
    reading = fault.reading
    status = ctx.status if ctx.status is not None else incident.status
    last = incident.last_seen_at
    i = incident
    return Incident(
        i.id, i.charger_id, i.connector_id, i.scheme, i.code, i.title, i.severity,
        i.opened_at, i.opened_received_at,
        vendor_id=fault.vendor_id or i.vendor_id,
        error_code=fault.error_code or ctx.error_code or i.error_code,
        info=fault.info,
        reading_value=reading.value if reading else None,
        reading_unit=reading.unit if reading else None,
        status=status,
        # A NotifyEvent carries no status: it leaves the warning/fault judgement as it was.
        warning_only=is_warning(status) if ctx.status is not None else i.warning_only,
        time_flagged=i.time_flagged,
        last_seen_at=ctx.stamp.at if last is None else max(last, ctx.stamp.at),
        reports=i.reports + 1,
        cleared_at=i.cleared_at,
        cleared_by=i.cleared_by,
        cleared_received_at=i.cleared_received_at,
        set_rule=ctx.rule,
        code_guessed=i.code_guessed and fault.guessed,
    )


def clear(conn: ConnectorState, key: Key, when: Stamp, by: ClearedBy) -> IncidentChange | None:
    """End the active incident with this key, if there is one."""
    incident = conn.incidents.pop(key, None)
    if incident is None:
        return None
    conn.pending.pop(key, None)
    return IncidentChange(ChangeKind.CLEARED, cleared(incident, when, by))


def cleared(incident: Incident, when: Stamp, by: ClearedBy) -> Incident:
    # Incident.clear's rule (never before it opened), in the same single copy as the rest.
    i = incident
    when = clear_stamp(when, i.opened_at)
    return Incident(
        i.id, i.charger_id, i.connector_id, i.scheme, i.code, i.title, i.severity,
        i.opened_at, i.opened_received_at, i.vendor_id, i.error_code, i.info, i.reading_value,
        i.reading_unit, i.status, i.warning_only,
        time_flagged=i.time_flagged or when.flagged,
        last_seen_at=i.last_seen_at,
        reports=i.reports,
        cleared_at=when.at,
        cleared_by=by,
        cleared_received_at=when.received_at,
        set_rule=i.set_rule,
        code_guessed=i.code_guessed,
    )


def sweep(
    conn: ConnectorState, keep: set[Key], when: Stamp, by: ClearedBy, *, replace_only: bool
) -> list[IncidentChange]:
    """Clear every active incident the report did not name (in the order they opened).

    One still pending after a boot was simply not re-reported: the reboot ended it, so it
    clears by REBOOT at the boot time, as it would when the window runs out.
    """
    changes = []
    for key, incident in list(conn.incidents.items()):
        if key in keep or (replace_only and incident.set_rule is not SetRule.REPLACE):
            continue
        boot = conn.pending.get(key)
        if boot is None:
            change = clear(conn, key, when, by)
        else:
            change = clear(conn, key, Stamp(boot, boot, False), ClearedBy.REBOOT)
        if change is not None:
            changes.append(change)
    return changes


# ---- reboots ----------------------------------------------------------------------------


def mark_pending(conn: ConnectorState, booted_at: datetime) -> bool:
    """After a boot every active error must be re-reported; one already waiting keeps the
    earlier boot (it has not been re-reported since). True if anything is waiting."""
    for key in conn.incidents:
        conn.pending.setdefault(key, booted_at)
    return bool(conn.pending)


def expire_pending(conn: ConnectorState) -> list[IncidentChange]:
    """The reboot window ran out: what was not re-reported cleared when the charger booted."""
    changes = []
    for key, boot in list(conn.pending.items()):
        change = clear(conn, key, Stamp(boot, boot, False), ClearedBy.REBOOT)
        if change is not None:
            changes.append(change)
    conn.pending.clear()
    return changes
