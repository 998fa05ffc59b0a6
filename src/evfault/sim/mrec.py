"""Build the messages MREC prescribes, and refuse to build ones it does not allow.

A library for firmware authors (and the simulator, which sends every MREC message through it):
give it the active conditions with their readings, get back the OCPP 1.6 StatusNotification
payload (EVgo or ChargeX MREC) or the OCPP 2.0.1 NotifyEvent payload (ChargeX). Thresholds,
prescribed statuses, connector ids, vendorIds and OCPP errorCodes all come from the catalog, so a
correction there reaches every message built here.

    build_status_notification([Condition("F001", 1.11), Condition("F003", 5.0)],
                              connector_id=1, timestamp=when)
    → {"connectorId": 1, "errorCode": "OtherError", "info": "1.11,5.00", "status": "Finishing",
       "timestamp": "…Z", "vendorId": "com.evgo.mrec", "vendorErrorCode": "F001,F003"}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.catalog.model import CatalogEntry, Measurement

EVGO = "evgo-mrec"
CHARGEX = "chargex-mrec"
MREC_SCHEMES = (EVGO, CHARGEX)

# Short names people type for the two schemes.
_SCHEME_NAMES = {"evgo": EVGO, EVGO: EVGO, "chargex": CHARGEX, CHARGEX: CHARGEX}

CI_STRING_50 = 50  # OCPP 1.6 CiString50Type: info and vendorErrorCode
TECH_CODE_MAX = 50  # OCPP 2.0.1 EventDataType.techCode
TECH_INFO_MAX = 500  # OCPP 2.0.1 EventDataType.techInfo
TRANSACTION_ID_MAX = 36

# OCPP 1.6 §4.9: when several faults put a connector in different states, it is not available for
# energy delivery at all, so Faulted wins over the others (Finishing for F000-F003).
_STATUS_PRECEDENCE = ("Faulted", "Unavailable", "Finishing", "SuspendedEVSE", "SuspendedEV")
_DEFAULT_FAULT_STATUS = "Faulted"  # ChargeX examples use it for every code


class MrecError(ValueError):
    """A message MREC does not allow; the text says what is wrong and how to fix it."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One active error and the reading that tripped it.

    `output_voltage` is needed only for limits given per volt (F006: 100 Ω/V of output voltage);
    without it the resistance reading is sent unchecked.
    """

    code: str
    reading: float | None = None
    output_voltage: float | None = None


def scheme_name(scheme: str) -> str:
    """The catalog name of an MREC scheme from what a person types (evgo, chargex, …)."""
    try:
        return _SCHEME_NAMES[scheme.strip().lower()]
    except KeyError:
        raise MrecError(f"unknown MREC scheme {scheme!r}; use 'evgo' or 'chargex'") from None


def utc_text(moment: datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp ending in Z, as EVgo MREC requires (2022-06-10T14:51:17Z)."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MrecError("the timestamp has no time zone; pass an aware datetime (UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_status_notification(
    conditions: Sequence[Condition],
    *,
    connector_id: int,
    scheme: str = "evgo",
    timestamp: datetime | None = None,
    status: str | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The OCPP 1.6 StatusNotification payload for these active conditions (several: compound).

    Raises MrecError for anything MREC forbids: an unknown code, codes of two schemes, a reading
    on the wrong side of its threshold, a code on the wrong connector, a status other than the
    prescribed one, or a vendorErrorCode/info longer than 50 characters.
    """
    if not conditions:
        raise MrecError("no conditions given; report a cleared connector with build_no_error()")
    cat = catalog or default_catalog()
    home = scheme_name(scheme)
    entries = [lookup(cat, home, c.code) for c in conditions]
    _refuse_duplicates(entries)
    infos = [reading_text(c, e) for c, e in zip(conditions, entries, strict=True)]
    _check_connector(entries, connector_id)
    return {
        "connectorId": connector_id,
        "errorCode": _error_code(entries),
        "info": _bounded("info", _join_infos(infos)),
        "status": _status(entries, status),
        "timestamp": utc_text(timestamp),
        "vendorId": vendor_id(cat, home),
        "vendorErrorCode": _bounded("vendorErrorCode", ",".join(e.code for e in entries)),
    }


def build_resolved(
    code: str,
    *,
    connector_id: int,
    status: str,
    timestamp: datetime | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The ChargeX 1.6 notice that one code has cleared: info "Error CXnnn resolved".

    It keeps the code's own errorCode (as EVerest does) rather than NoError, which would tell a
    plain OCPP central system that nothing at all is wrong while other codes may still be active.
    """
    cat = catalog or default_catalog()
    entry = lookup(cat, CHARGEX, code)
    _check_connector([entry], connector_id)
    return {
        "connectorId": connector_id,
        "errorCode": entry.ocpp_error_code or "OtherError",
        "info": f"Error {entry.code} resolved",
        "status": status,
        "timestamp": utc_text(timestamp),
        "vendorId": vendor_id(cat, CHARGEX),
        "vendorErrorCode": entry.code,
    }


def build_no_error(
    *, connector_id: int, status: str, timestamp: datetime | None = None
) -> dict[str, Any]:
    """A StatusNotification saying nothing is wrong any more (errorCode NoError)."""
    return {
        "connectorId": connector_id,
        "errorCode": "NoError",
        "status": status,
        "timestamp": utc_text(timestamp),
    }


def build_notify_event(
    code: str,
    *,
    evse_id: int,
    connector_id: int,
    event_id: int,
    cleared: bool = False,
    reading: float | None = None,
    timestamp: datetime | None = None,
    seq_no: int = 0,
    transaction_id: str | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The OCPP 2.0.1 NotifyEvent payload raising (or, with cleared=True, clearing) a ChargeX code.

    The event sits on the variable `Problem` of the EVSE (of the whole station for evse_id 0),
    trigger Alerting, HardWiredNotification. actualValue carries the reading when there is one
    (as in the ChargeX examples) and otherwise "true"/"false" for the Problem variable, as
    EVerest sends; techInfo repeats the reading in text.
    """
    cat = catalog or default_catalog()
    entry = lookup(cat, CHARGEX, code)
    text = None if cleared else reading_text(Condition(code, reading), entry)
    when = utc_text(timestamp)
    event: dict[str, Any] = {
        "eventId": event_id,
        "timestamp": when,
        "trigger": "Alerting",
        "actualValue": "false" if cleared else (text or "true"),
        "techCode": _bounded("techCode", entry.code, TECH_CODE_MAX),
        "cleared": cleared,
        "eventNotificationType": "HardWiredNotification",
        "component": _component(evse_id, connector_id),
        "variable": {"name": "Problem"},
    }
    if text:
        event["techInfo"] = _bounded("techInfo", text, TECH_INFO_MAX)
    if transaction_id is not None:
        event["transactionId"] = _bounded("transactionId", transaction_id, TRANSACTION_ID_MAX)
    return {"generatedAt": when, "seqNo": seq_no, "eventData": [event]}


def lookup(catalog: Catalog, scheme: str, code: str) -> CatalogEntry:
    """The entry for `code` in `scheme`; refuses codes of another scheme and unknown codes."""
    entry = catalog.get(scheme, code.strip())
    if entry is not None:
        return entry
    other = _other_scheme(catalog, scheme, code)
    if other is not None:
        raise MrecError(
            f"{code} is a {other} code, not a {scheme} one; one message carries codes of one "
            "scheme only"
        )
    version = catalog.schemes[scheme].source.version if scheme in catalog.schemes else "?"
    raise MrecError(f"{code!r} is not a code of {scheme} (version {version})")


def vendor_id(catalog: Catalog, scheme: str) -> str:
    """The vendorId a scheme's codes travel under (com.evgo.mrec, https://chargex.inl.gov)."""
    found = catalog.schemes.get(scheme)
    if found is None or not found.vendor_ids:
        raise MrecError(f"the catalog names no vendorId for {scheme}")
    return found.vendor_ids[0]


def reading_text(condition: Condition, entry: CatalogEntry) -> str:
    """The reading as it goes into info ("" for none), after checking it trips the code."""
    if condition.reading is None:
        return ""
    measurement = entry.measurement
    if measurement is None:
        raise MrecError(f"{entry.code} carries no reading; leave its info value empty")
    if not math.isfinite(condition.reading):
        raise MrecError(f"the reading for {entry.code} is {condition.reading}, not a number")
    text = format_reading(condition.reading, measurement)
    if not trips(measurement, float(text), condition.output_voltage):
        raise MrecError(_wrong_side(entry, measurement, text, condition.output_voltage))
    return text


def format_reading(value: float, measurement: Measurement) -> str:
    """A reading with as many decimals as its threshold (1.11 VDC → "1.11", 70 VDC → "70"),
    and more where the reading itself has them (5.4 µF stays "5.4", never rounds to 5)."""
    places = max(decimals(measurement.threshold), decimals(value))
    return f"{value:.{places}f}"


def trips(measurement: Measurement, value: float, output_voltage: float | None = None) -> bool:
    """Whether a reading lies on the tripping side of the code's threshold.

    A threshold given per volt (Ω/V) scales with the output voltage; without that voltage, or
    without a threshold at all (F009: "the max temperature", which the spec leaves to the
    hardware), there is nothing to check against and the reading is accepted.
    """
    if measurement.threshold is None or measurement.comparison is None:
        return True
    if measurement.threshold_unit:
        if output_voltage is None:
            return True
        scaled = Measurement(
            measurement.quantity, measurement.unit, measurement.threshold * output_voltage,
            measurement.comparison,
        )
        return scaled.consistent(value) is not False
    return measurement.consistent(value) is not False


def decimals(value: float | None) -> int:
    """Decimals needed to write `value` (at most 2: instruments report to the hundredth)."""
    if value is None:
        return 0
    text = f"{round(value, 2):.2f}".rstrip("0")
    return len(text.partition(".")[2])


def _wrong_side(
    entry: CatalogEntry, measurement: Measurement, text: str, output_voltage: float | None
) -> str:
    limit = f"{measurement.threshold:g} {measurement.threshold_unit or measurement.unit}"
    if measurement.threshold_unit and output_voltage is not None:
        limit += f" at {output_voltage:g} V"
    return (
        f"{entry.code} trips when the {measurement.quantity} is {measurement.comparison} {limit}; "
        f"a reading of {text} {measurement.unit} does not trip it"
    )


def _other_scheme(catalog: Catalog, scheme: str, code: str) -> str | None:
    for other in MREC_SCHEMES:
        if other != scheme and catalog.get(other, code.strip()) is not None:
            return other
    return None


def _refuse_duplicates(entries: Iterable[CatalogEntry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.code in seen:
            raise MrecError(f"{entry.code} is listed twice; each active code is sent once")
        seen.add(entry.code)


def _check_connector(entries: Sequence[CatalogEntry], connector_id: int) -> None:
    """connectorId 0 is the charger as a whole: only for codes the catalog puts there (A004)."""
    if isinstance(connector_id, bool) or not isinstance(connector_id, int) or connector_id < 0:
        raise MrecError(f"connectorId must be a non-negative integer, not {connector_id!r}")
    for entry in entries:
        expected = entry.expected_connector_id
        if expected == 0 and connector_id != 0:
            raise MrecError(
                f"{entry.code} concerns the whole charger and is sent on connectorId 0, "
                f"not {connector_id}"
            )
        if expected is not None and expected != 0 and connector_id == 0:
            raise MrecError(
                f"{entry.code} concerns one connector; connectorId 0 is reserved for codes about "
                "the whole charger"
            )


def _error_code(entries: Sequence[CatalogEntry]) -> str:
    """The matching OCPP errorCode when every code shares one, else OtherError."""
    codes = {e.ocpp_error_code or "OtherError" for e in entries}
    return codes.pop() if len(codes) == 1 else "OtherError"


def _status(entries: Sequence[CatalogEntry], asked: str | None) -> str:
    prescribed = {e.expected_status for e in entries if e.expected_status}
    if not prescribed:
        return asked or _DEFAULT_FAULT_STATUS
    chosen = next((s for s in _STATUS_PRECEDENCE if s in prescribed), sorted(prescribed)[0])
    if asked is not None and asked not in prescribed:
        codes = ",".join(e.code for e in entries)
        raise MrecError(f"{codes} is sent with status {chosen}, not {asked}")
    return asked or chosen


def _join_infos(infos: Sequence[str]) -> str:
    # Compound codes pair the N-th info value with the N-th code; with no readings at all the
    # info stays empty, as in the single-code samples.
    return ",".join(infos) if any(infos) else ""


def _bounded(name: str, value: str, limit: int = CI_STRING_50) -> str:
    if len(value) > limit:
        raise MrecError(
            f"{name} would be {len(value)} characters ({value!r}); OCPP allows {limit}. "
            "Send fewer codes per message"
        )
    return value


def _component(evse_id: int, connector_id: int) -> dict[str, Any]:
    if evse_id == 0:
        return {"name": "ChargingStation"}
    return {"name": "EVSE", "evse": {"id": evse_id, "connectorId": connector_id}}
