"""OCPP 2.0.1 StatusNotificationRequest and NotifyEventRequest → Reports.

Our `connector_id` is the 2.0.1 `evseId`: what OCPP 1.6 calls a connector (one outlet that
charges one vehicle at a time) is an EVSE in 2.0.1, whose `connectorId` numbers the plugs of that
EVSE. 2.0.1 has no errorCode: faults arrive as NotifyEvent eventData, raised and cleared one by
one, so every 2.0.1 Report is ACCUMULATE — a status alone never clears an error.
"""

from __future__ import annotations

from collections.abc import Mapping

from evfault.decode.codes import OCPP16, OCPP201, CodeResolver, Resolution, read_measurement
from evfault.decode.codes import unknown_code_warning as _unknown
from evfault.decode.fields import connector_id, text_field
from evfault.decode.model import DecodeWarning, Fault, Report, SetRule
from evfault.decode.rules import Rule, show, warn
from evfault.decode.timestamps import parse_timestamp

VERSION = "2.0.1"

# OCPP 2.0.1 ConnectorStatusEnumType.
CONNECTOR_STATUSES = frozenset({"Available", "Occupied", "Reserved", "Unavailable", "Faulted"})

PROBLEM = "Problem"  # the standard fault variable ChargeX and EVerest report on
AVAILABILITY_STATE = "AvailabilityState"  # status changes as events (OCTT TC_G_02_CS)
MREC_SCHEMES = frozenset({"evgo-mrec", "chargex-mrec"})
_NOT_READINGS = frozenset({"", "true", "false"})


def status_notification(
    payload: Mapping[str, object],
) -> tuple[Report, tuple[DecodeWarning, ...]]:
    """The Report of a 2.0.1 StatusNotification: a status for one EVSE, no faults."""
    warnings: list[DecodeWarning] = []
    status = _connector_status(payload.get("connectorStatus"), warnings)
    timestamp, raw, time_warnings = parse_timestamp(payload.get("timestamp"), "OCPP 2.0.1")
    report = Report(
        connector_id=connector_id(payload.get("evseId"), "evseId", warnings),
        status=status,
        rule=SetRule.ACCUMULATE,
        timestamp=timestamp,
        timestamp_raw=raw,
        version=VERSION,
    )
    warnings.extend(time_warnings)
    return report, tuple(warnings)


def notify_event(
    payload: Mapping[str, object], resolver: CodeResolver
) -> tuple[list[Report], list[DecodeWarning]]:
    """One Report per eventData that raises or clears a fault, or reports an AvailabilityState."""
    warnings: list[DecodeWarning] = []
    events = payload.get("eventData")
    if not isinstance(events, list):
        rule = Rule.FIELD_MISSING if events is None else Rule.FIELD_TYPE
        warnings.append(warn(rule, "NotifyEvent needs eventData, a list of events."))
        return [], warnings
    reports = []
    for event in events:
        if not isinstance(event, dict):
            warnings.append(
                warn(Rule.FIELD_TYPE, f"eventData item {show(event)} is not an object.")
            )
            continue
        report = _event_report(event, resolver, warnings)
        if report is not None:
            reports.append(report)
    return reports, warnings


def _event_report(
    event: Mapping[str, object], resolver: CodeResolver, warnings: list[DecodeWarning]
) -> Report | None:
    component = _mapping(event.get("component"))
    variable_name = _name(event.get("variable"))
    actual = text_field(event.get("actualValue"), "actualValue", warnings)
    if variable_name == AVAILABILITY_STATE:
        return _availability_report(event, component, actual, warnings)
    tech_code = text_field(event.get("techCode"), "techCode", warnings)
    if not (tech_code and tech_code.strip()) and variable_name != PROBLEM:
        return None  # a measurement or setting change, not a fault
    fault, mrec = _event_fault(
        event, component, variable_name, tech_code, actual, resolver, warnings
    )
    timestamp, raw, time_warnings = parse_timestamp(
        event.get("timestamp"), "MREC" if mrec else "OCPP 2.0.1"
    )
    warnings.extend(time_warnings)
    cleared = _is_cleared(event.get("cleared"), variable_name, actual, warnings)
    return Report(
        connector_id=fault.connector_id or 0,
        faults=() if cleared else (fault,),
        cleared=(fault,) if cleared else (),
        rule=SetRule.ACCUMULATE,
        timestamp=timestamp,
        timestamp_raw=raw,
        version=VERSION,
    )


def _event_fault(
    event: Mapping[str, object],
    component: Mapping[str, object],
    variable_name: str | None,
    tech_code: str | None,
    actual: str | None,
    resolver: CodeResolver,
    warnings: list[DecodeWarning],
) -> tuple[Fault, bool]:
    """The fault an event names: its techCode, or ocpp2.0.1:Problem where it has none. Also
    whether it is an MREC code."""
    if tech_code and tech_code.strip():
        raw = tech_code
        found = resolver.resolve(tech_code.strip(), None, (OCPP16,))
        if found.entry is None:
            warnings.append(_unknown(found, None))
    else:
        # No techCode: the standard `Problem` variable itself is the fault (the 2.0.1 analogue
        # of OtherError), named as it came, component.variable.
        raw = f"{_name(component) or 'Component'}.{variable_name}"
        found = Resolution(OCPP201, PROBLEM, resolver.catalog.get(OCPP201, PROBLEM))
    measured = actual if actual is not None and actual.lower() not in _NOT_READINGS else None
    reading, problem = read_measurement(found, measured)
    if problem is not None:
        warnings.append(problem)
    tech_info = text_field(event.get("techInfo"), "techInfo", warnings)
    fault = Fault(
        scheme=found.scheme,
        code=found.code,
        raw_code=raw,
        entry=found.entry,
        reading=reading,
        info=tech_info or measured,
        connector_id=_evse_id(component, warnings),
    )
    return fault, found.scheme in MREC_SCHEMES


def _availability_report(
    event: Mapping[str, object],
    component: Mapping[str, object],
    actual: str | None,
    warnings: list[DecodeWarning],
) -> Report:
    timestamp, raw, time_warnings = parse_timestamp(event.get("timestamp"), "OCPP 2.0.1")
    warnings.extend(time_warnings)
    return Report(
        connector_id=_evse_id(component, warnings),
        status=_connector_status(actual, warnings),
        rule=SetRule.ACCUMULATE,
        timestamp=timestamp,
        timestamp_raw=raw,
        version=VERSION,
    )


def _is_cleared(
    cleared: object, variable_name: str | None, actual: str | None, warnings: list[DecodeWarning]
) -> bool:
    """`cleared: true` ends an event (2.0.1 EventDataType); EVerest also ends a Problem with
    actualValue "false"."""
    if cleared is True:
        return True
    if cleared is not None and cleared is not False:
        warnings.append(warn(Rule.FIELD_TYPE, f"cleared {show(cleared)} is not a boolean."))
        if isinstance(cleared, str) and cleared.strip().lower() == "true":
            return True
    return variable_name == PROBLEM and actual is not None and actual.strip().lower() == "false"


def _evse_id(component: Mapping[str, object], warnings: list[DecodeWarning]) -> int:
    """component.evse.id; an event without an EVSE concerns the whole station (0)."""
    evse = component.get("evse")
    if evse is None:
        return 0
    if not isinstance(evse, dict):
        warnings.append(warn(Rule.FIELD_TYPE, f"component.evse {show(evse)} is not an object."))
        return 0
    return connector_id(evse.get("id"), "component.evse.id", warnings)


def _connector_status(value: object, warnings: list[DecodeWarning]) -> str | None:
    if type(value) is str and value in CONNECTOR_STATUSES:
        return value
    if value is None:
        warnings.append(warn(Rule.FIELD_MISSING, "connectorStatus is missing."))
        return None
    if not isinstance(value, str):
        warnings.append(warn(Rule.FIELD_TYPE, f"status {show(value)} is not a string; ignored."))
        return None
    warnings.append(warn(Rule.STATUS_UNKNOWN, f"status {show(value)} is not an OCPP 2.0.1 status."))
    return value


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _name(value: object) -> str | None:
    """The `name` of a component or variable object."""
    if isinstance(value, dict):
        name = value.get("name")
        return name if isinstance(name, str) else None
    return None
