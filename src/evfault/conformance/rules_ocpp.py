"""Rules every OCPP-J message must meet: the frame, the JSON schema, CiString lengths, date-times,
and what connector 0 may report."""

from __future__ import annotations

from evfault.conformance import schemas
from evfault.conformance.frames import CALL, CALLRESULT
from evfault.conformance.model import Severity
from evfault.conformance.registry import Verdict, bad, ok, rule
from evfault.conformance.subject import STATUS_NOTIFICATION, Subject, parse_rfc3339
from evfault.decode.ocpp16 import STATUSES

# OCPP 1.6 §4.9: connectorId 0 is the Charge Point main controller, which has only these states.
CONNECTOR_ZERO_STATUSES = ("Available", "Unavailable", "Faulted")


def _schema_target(s: Subject) -> tuple[str, str, bool] | None:
    """(version, action, is_response) when the message has a schema to check against."""
    m = s.message
    if m.problem is not None or m.action is None or m.version is None:
        return None
    if m.kind not in (CALL, CALLRESULT):
        return None
    return m.version, m.action, m.kind == CALLRESULT


def _what(version: str, action: str, response: bool) -> str:
    return f"OCPP {version} {action}{'Response' if response else ''}"


@rule(
    "frame",
    "The line holds one OCPP-J frame: [2, id, action, {…}], [3, id, {…}] or "
    "[4, id, code, description, {…}], with a message id of at most 36 characters.",
)
def frame(s: Subject) -> Verdict:
    if s.message.problem is not None:
        return bad(s.message.problem)
    if s.message.deviations:
        return bad("; ".join(s.message.deviations))
    if s.message.bare:
        return ok(f"a bare {s.message.action} payload, checked as its request")
    return ok("a well-formed OCPP-J frame")


@rule(
    "ocpp-schema",
    "The payload matches the OCPP JSON schema of its action (required fields, types, enumerated "
    "values); lengths, date-times and unknown fields have rules of their own.",
)
def ocpp_schema(s: Subject) -> Verdict | None:
    m = s.message
    if m.problem is not None:
        return None
    if m.kind == CALL and m.version is None:
        return bad(f"{m.action!r} is not an action of OCPP 1.6 or 2.0.1")
    target = _schema_target(s)
    if target is None:
        return None
    version, action, response = target
    try:
        schemas.validate(version, action, m.payload, response)
    except schemas.SchemaProblem as exc:
        return bad(f"{_what(*target)}: {exc}")
    return ok(f"matches the {_what(*target)} schema")


@rule(
    "unknown-field",
    "The payload carries only the fields its OCPP schema defines; a field of the charger's own is "
    "read past and reported, never a reason to refuse the message.",
    Severity.WARNING,
)
def unknown_field(s: Subject) -> Verdict | None:
    target = _schema_target(s)
    if target is None:
        return None
    extra = schemas.unknown_fields(*target[:2], s.payload, target[2], s.walk(*target))
    if extra:
        names = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        return bad(f"{_what(*target)} defines no {names}; read past")
    return ok("no field beyond the schema")


@rule(
    "cistring-length",
    "Every string is within its CiString limit (info and vendorErrorCode: 50 characters, "
    "which a long compound list can pass; vendorId: 255).",
)
def cistring_length(s: Subject) -> Verdict | None:
    target = _schema_target(s)
    if target is None:
        return None
    version, action, response = target
    overlong = schemas.over_length(version, action, s.payload, response, s.walk(*target))
    if overlong:
        return bad("; ".join(
            f"{o.path} has {o.length} characters, {o.length - o.limit} over its limit of {o.limit}"
            for o in overlong
        ))
    return ok("every string is within its length limit")


@rule(
    "timestamp-format",
    "Every date-time is an ISO 8601 date-time as RFC 3339 writes it, e.g. 2022-06-10T14:51:17Z "
    "(2023-09-06T00-08-09Z, with hyphens in the time, is not one).",
)
def timestamp_format(s: Subject) -> Verdict | None:
    target = _schema_target(s)
    if target is None:
        return None
    version, action, response = target
    found = schemas.date_times(version, action, s.payload, response, s.walk(*target))
    stamps = [st for st in found if isinstance(st.value, str)]
    if not stamps:
        return None
    broken = [st for st in stamps if parse_rfc3339(str(st.value)) is None]
    if broken:
        return bad("; ".join(
            f"{st.path} {st.value!r} is not an ISO 8601 date-time (e.g. 2022-06-10T14:51:17Z)"
            for st in broken
        ))
    return ok("every date-time is ISO 8601")


@rule(
    "connector0-status",
    "Connector 0 (the charger as a whole) reports only Available, Unavailable or Faulted "
    "(OCPP 1.6 §4.9).",
)
def connector0_status(s: Subject) -> Verdict | None:
    m = s.message
    if m.kind != CALL or m.action != STATUS_NOTIFICATION or m.version != "1.6":
        return None
    payload = m.payload
    status = payload.get("status")
    if payload.get("connectorId") != 0 or type(payload.get("connectorId")) is not int:
        return None
    if not isinstance(status, str) or status not in STATUSES:
        return None  # not a status at all: the schema rule says so
    if status in CONNECTOR_ZERO_STATUSES:
        return ok(f"connector 0 reports {status}")
    return bad(
        f"connector 0 reports {status}; the charger as a whole can only be "
        f"{', '.join(CONNECTOR_ZERO_STATUSES)}"
    )
