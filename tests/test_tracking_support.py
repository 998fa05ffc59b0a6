"""Builders shared by the tracker tests: explicit times, faults without the catalog files.

(Named test_* so it stays within the tracker's files; it holds no tests of its own.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from evfault.decode.model import Fault, Reading, Report, SetRule
from evfault.tracking.model import (
    Change,
    ChangeKind,
    ConnectivityChange,
    Incident,
    IncidentChange,
    ReportReceived,
    StatusChange,
)
from evfault.tracking.tracker import Tracker, TrackerConfig

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
CP = "CP-1"

EVGO = "evgo-mrec"
CHARGEX = "chargex-mrec"
OCPP16 = "ocpp16"


def t(seconds: float) -> datetime:
    """A moment `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


def counter_ids(prefix: str = "inc") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def make_tracker(**config: float) -> Tracker:
    return Tracker(TrackerConfig(**config), counter_ids())


def fault(
    code: str,
    scheme: str = EVGO,
    *,
    info: str | None = None,
    reading: float | None = None,
    unit: str = "VDC",
    connector_id: int | None = None,
) -> Fault:
    return Fault(
        scheme=scheme,
        code=code,
        raw_code=code,
        entry=None,
        vendor_id=None,
        error_code="OtherError",
        reading=None if reading is None else Reading(reading, unit, str(reading)),
        info=info,
        connector_id=connector_id,
    )


def report(
    *faults: Fault,
    connector: int = 1,
    status: str | None = "Faulted",
    rule: SetRule = SetRule.REPLACE,
    cleared: Iterable[Fault] = (),
    clear_all: bool = False,
    ts: datetime | None = None,
    version: str | None = None,
    error_code: str | None = None,
) -> Report:
    return Report(
        connector_id=connector,
        status=status,
        error_code=error_code,
        faults=tuple(faults),
        cleared=tuple(cleared),
        clear_all=clear_all,
        rule=rule,
        timestamp=ts,
        version=version,
    )


def no_error(connector: int = 1, status: str = "Available", ts: datetime | None = None) -> Report:
    return report(connector=connector, status=status, clear_all=True, ts=ts,
                  error_code="NoError")


def received(r: Report, at: datetime, charger: str = CP) -> ReportReceived:
    return ReportReceived(charger, r, at)


def incident_changes(changes: Iterable[Change]) -> list[IncidentChange]:
    return [c for c in changes if isinstance(c, IncidentChange)]


def status_changes(changes: Iterable[Change]) -> list[StatusChange]:
    return [c for c in changes if isinstance(c, StatusChange)]


def links(changes: Iterable[Change]) -> list[ConnectivityChange]:
    return [c for c in changes if isinstance(c, ConnectivityChange)]


def summary(changes: Iterable[Change]) -> list[tuple[str, str]]:
    """(kind, code) of each incident change, in order: the shape most rules are about."""
    return [(c.kind.value, c.incident.code) for c in incident_changes(changes)]


def only(changes: Iterable[Change], kind: ChangeKind, code: str) -> Incident:
    found = [c.incident for c in incident_changes(changes)
             if c.kind is kind and c.incident.code == code]
    assert len(found) == 1, f"expected one {kind} {code}, got {found}"
    return found[0]


def codes(incidents: Iterable[Incident]) -> list[str]:
    return [i.code for i in incidents]
