"""Decoded results as plain JSON-ready dicts: one shape for `evfault decode --json`, the REST API
(`POST /decode`) and anything else that serialises faults."""

from __future__ import annotations

from typing import Any

from evfault.decode.model import Decoded, DecodeWarning, Fault, Report

Json = dict[str, Any]


def fault_to_dict(fault: Fault, connector_id: int | None = None) -> Json:
    """scheme, code, raw_code, known, title, severity, vendor_id, error_code, info, reading
    ({value, unit} or null) and connector_id (the report's, unless the fault names its own)."""
    reading = fault.reading
    return {
        "scheme": fault.scheme,
        "code": fault.code,
        "raw_code": fault.raw_code,
        "known": fault.entry is not None,
        "title": fault.title,
        "severity": fault.severity.value,
        "vendor_id": fault.vendor_id,
        "error_code": fault.error_code,
        "info": fault.info,
        "reading": None if reading is None else {"value": reading.value, "unit": reading.unit},
        "connector_id": fault.connector_id if fault.connector_id is not None else connector_id,
        "guessed": fault.guessed,
    }


def warning_to_dict(warning: DecodeWarning) -> Json:
    return {"rule": warning.rule, "message": warning.message}


def report_to_dict(report: Report) -> Json:
    """What a report says about its connector, without its faults (listed apart)."""
    return {
        "connector_id": report.connector_id,
        "status": report.status,
        "error_code": report.error_code,
        "clear_all": report.clear_all,
        "rule": report.rule.value,
        "timestamp": report.timestamp.isoformat() if report.timestamp else None,
        "timestamp_raw": report.timestamp_raw,
    }


def faults_to_dicts(decoded: Decoded) -> list[Json]:
    """Every active fault of a decoded message, each with its connector."""
    return [fault_to_dict(f, r.connector_id) for r in decoded.reports for f in r.faults]


def cleared_to_dicts(decoded: Decoded) -> list[Json]:
    """Every fault a decoded message clears one by one, each with its connector."""
    return [fault_to_dict(f, r.connector_id) for r in decoded.reports for f in r.cleared]


def decoded_to_dict(decoded: Decoded) -> Json:
    """A whole decoded message: faults, cleared, warnings, plus what it is and what it says
    about each connector."""
    return {
        "faults": faults_to_dicts(decoded),
        "cleared": cleared_to_dicts(decoded),
        "warnings": [warning_to_dict(w) for w in decoded.warnings],
        "version": decoded.version,
        "action": decoded.action,
        "message_id": decoded.message_id,
        "reports": [report_to_dict(r) for r in decoded.reports],
        "prefix": decoded.prefix,  # the log-line text in front of the message, if any
    }
