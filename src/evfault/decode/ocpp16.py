"""OCPP 1.6 StatusNotification.req (§6.47) → one Report. This is the hot path of the server and
the log analyser, so it reads the payload once and leaves the error fields to the memoised
Interpreter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from evfault.decode.build import positional_builder
from evfault.decode.fields import connector_id
from evfault.decode.interpret import Interpreter, Outcome
from evfault.decode.model import DecodeWarning, Report
from evfault.decode.rules import Rule, show, warn
from evfault.decode.timestamps import parse_timestamp

VERSION = "1.6"
_build_report = positional_builder(Report)  # positional, in field order: see build.py

# OCPP 1.6 §7.7 ChargePointStatus.
STATUSES = frozenset(
    {
        "Available",
        "Preparing",
        "Charging",
        "SuspendedEVSE",
        "SuspendedEV",
        "Finishing",
        "Reserved",
        "Unavailable",
        "Faulted",
    }
)


def status_notification(
    payload: Mapping[str, object], interpreter: Interpreter
) -> tuple[Report, tuple[DecodeWarning, ...]]:
    """The Report a 1.6 StatusNotification makes, and every warning about it."""
    get = payload.get
    vendor_id, codes, info = get("vendorId"), get("vendorErrorCode"), get("info")
    error_code = get("errorCode")
    try:
        outcome = interpreter.cached(vendor_id, codes, info, error_code)
    except TypeError:  # unhashable: an array or object where a string belongs
        outcome = interpreter.uncached(vendor_id, codes, info, error_code)
    # 1.6 makes timestamp optional; EVgo MREC ("Status Notification Conventions" 2) and the
    # ChargeX examples make it required, in UTC.
    timestamp, timestamp_raw, time_warnings = parse_timestamp(
        get("timestamp"), "MREC" if outcome.requires_timestamp else None
    )
    connector = get("connectorId")
    status = get("status")
    if (
        type(connector) is not int
        or connector < 0
        or type(status) is not str
        or status not in STATUSES
    ):
        return _off_spec(payload, outcome, timestamp, timestamp_raw, time_warnings)
    report = _build_report(
        connector,
        status,
        outcome.error_code,
        outcome.faults,
        outcome.cleared,
        outcome.clear_all,
        outcome.rule,
        timestamp,
        timestamp_raw,
        VERSION,
    )
    if time_warnings:
        return report, outcome.warnings + time_warnings
    return report, outcome.warnings


def _off_spec(
    payload: Mapping[str, object],
    outcome: Outcome,
    timestamp: datetime | None,
    timestamp_raw: str | None,
    time_warnings: tuple[DecodeWarning, ...],
) -> tuple[Report, tuple[DecodeWarning, ...]]:
    """The same Report for a message whose connectorId or status is off-spec, with warnings."""
    problems: list[DecodeWarning] = []
    connector = connector_id(payload.get("connectorId"), "connectorId", problems)
    status = payload.get("status")
    if type(status) is not str or status not in STATUSES:
        status = _status(status, problems)
    report = Report(
        connector_id=connector,
        status=status,
        error_code=outcome.error_code,
        faults=outcome.faults,
        cleared=outcome.cleared,
        clear_all=outcome.clear_all,
        rule=outcome.rule,
        timestamp=timestamp,
        timestamp_raw=timestamp_raw,
        version=VERSION,
    )
    return report, (*problems, *outcome.warnings, *time_warnings)


def _status(value: object, warnings: list[DecodeWarning]) -> str | None:
    if value is None:
        warnings.append(warn(Rule.FIELD_MISSING, "status is missing; OCPP 1.6 requires it."))
        return None
    if not isinstance(value, str):
        warnings.append(warn(Rule.FIELD_TYPE, f"status {show(value)} is not a string; ignored."))
        return None
    warnings.append(warn(Rule.STATUS_UNKNOWN, f"status {show(value)} is not an OCPP 1.6 status."))
    return value
