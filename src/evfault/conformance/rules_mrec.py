"""Rules for MREC messages (EVgo and ChargeX): vendorId, codes, timestamp, errorCode, paired
readings and their thresholds, status and connector. Every fact — threshold, unit, prescribed
status and connector, the errorCode a code travels with — comes from the catalog."""

from __future__ import annotations

from collections.abc import Iterator

from evfault.catalog.model import CatalogEntry
from evfault.conformance.model import Severity
from evfault.conformance.registry import Verdict, bad, doubtful, ok, rule
from evfault.conformance.subject import Code, MrecStatus, Subject, parse_rfc3339
from evfault.decode.codes import parse_number

MREC = "mrec"


def _scheme_title(s: Subject, scheme: str) -> str:
    found = s.catalog.schemes.get(scheme)
    return f"{found.title} {found.source.version}" if found else scheme


def _codes(s: Subject) -> tuple[Code, ...]:
    if s.mrec is not None:
        return s.mrec.codes
    return tuple(event.code for event in s.events)


def _measured_pairs(m: MrecStatus) -> Iterator[tuple[CatalogEntry, str]]:
    """(entry, info value) for every known code that carries a reading, when pairing holds."""
    items = m.info_items
    if items is None:
        return
    for code, item in zip(m.codes, items, strict=True):
        if code.entry is not None and code.entry.measurement is not None:
            yield code.entry, item


def _unit(entry: CatalogEntry) -> str:
    measurement = entry.measurement
    return f"{measurement.quantity} in {measurement.unit}" if measurement else "no reading"


@rule(
    "mrec-vendor-id",
    "vendorId names the family of the codes — com.evgo.mrec for EVgo codes, "
    "https://chargex.inl.gov for ChargeX codes — and one message holds one family.",
    group=MREC,
)
def mrec_vendor_id(s: Subject) -> Verdict | None:
    m = s.mrec
    if m is None:
        return None
    families = sorted({c.by_pattern for c in m.codes if c.by_pattern})
    if not families:
        return None  # codes of no known shape: mrec-unknown-code reports them
    if len(families) > 1:
        return bad(f"the codes mix {' and '.join(families)}; send each family in its own message")
    family = families[0]
    expected = s.catalog.schemes[family].vendor_ids[0]
    if m.vendor_scheme == family:
        return ok(f"vendorId {m.vendor_id} matches the {family} codes")
    sent = "is missing" if not m.vendor_id else f"{m.vendor_id!r} is wrong"
    return bad(f"vendorId {sent}: {family} codes are sent with vendorId {expected}")


@rule(
    "mrec-unknown-code",
    "Every code in an MREC range (A0xx/F0xx for EVgo, CXnnn for ChargeX) is one the standard "
    "defines; F011 or CX027 is not.",
    group=MREC,
)
def mrec_unknown_code(s: Subject) -> Verdict | None:
    codes = [c for c in _codes(s) if c.scheme is not None]
    if not codes:
        return None
    unknown = [c for c in codes if c.entry is None]
    if not unknown:
        return ok(f"{', '.join(c.raw for c in codes)} defined")
    return bad("; ".join(
        "vendorErrorCode has an empty item" if not c.raw
        else f"{c.raw} is not defined in {_scheme_title(s, c.scheme or '')}"
        for c in unknown
    ))


@rule(
    "mrec-timestamp",
    "An MREC message carries a timestamp, in UTC (…Z).",
    group=MREC,
)
def mrec_timestamp(s: Subject) -> Verdict | None:
    stamps = [s.mrec.timestamp] if s.mrec is not None else [e.timestamp for e in s.events]
    if not stamps:
        return None
    if any(stamp is None for stamp in stamps):
        return bad("the timestamp is missing; MREC requires one, in UTC (2022-06-10T14:51:17Z)")
    parsed = [parse_rfc3339(stamp) for stamp in stamps if isinstance(stamp, str)]
    readable = [p for p in parsed if p is not None]
    if not readable:
        return None  # unreadable or not text: timestamp-format or ocpp-schema reports it
    off = [p for p in readable if p.utcoffset()]
    if off:
        return bad(f"the timestamp is at UTC{off[0].strftime('%z')}; MREC accepts UTC only (…Z)")
    return ok("timestamp present, in UTC")


@rule(
    "mrec-error-code",
    "errorCode is OtherError or the OCPP errorCode the code travels with (ChargeX CX006: "
    "UnderVoltage) — never NoError while a code is reported.",
    group=MREC,
)
def mrec_error_code(s: Subject) -> Verdict | None:
    m = s.mrec
    if m is None or not m.known or m.error_code is None:
        return None
    allowed = {"OtherError"} | {e.ocpp_error_code for e in m.known if e.ocpp_error_code}
    codes = ",".join(e.code for e in m.known)
    if m.error_code in allowed:
        return ok(f"errorCode {m.error_code} goes with {codes}")
    if m.error_code == "NoError":
        return bad(f"errorCode NoError says nothing is wrong, yet vendorErrorCode reports {codes}")
    return bad(f"errorCode {m.error_code} does not go with {codes}; use "
               f"{' or '.join(sorted(allowed))}")


@rule(
    "mrec-specific-error-code",
    "A code that has an OCPP errorCode of its own (ChargeX CX002: GroundFailure) is sent with "
    "it rather than OtherError, so plain OCPP systems understand it too.",
    Severity.WARNING,
    group=MREC,
)
def mrec_specific_error_code(s: Subject) -> Verdict | None:
    m = s.mrec
    own = _own_codes(m) if m is not None else ()
    if m is None or not own:
        return None  # no code of its own, or codes with different ones: OtherError fits
    if m.error_code == own[0]:
        return ok(f"errorCode {own[0]} is the code's own")
    if m.error_code != "OtherError":
        return None  # a wrong errorCode altogether: mrec-error-code reports it
    codes = ",".join(e.code for e in m.known)
    return bad(f"{codes} has an OCPP errorCode of its own, {own[0]}; send it instead of OtherError")


def _own_codes(m: MrecStatus) -> tuple[str, ...]:
    found = {e.ocpp_error_code for e in m.known}
    if len(found) != 1 or len(m.known) != len(m.codes):
        return ()
    code = found.pop()
    return (code,) if code and code != "OtherError" else ()


@rule(
    "mrec-info-pairing",
    "With several codes (compound), info holds one comma-separated value per code in the same "
    "order (F001,F003 → \"1.11,5.00\"), or is empty.",
    group=MREC,
)
def mrec_info_pairing(s: Subject) -> Verdict | None:
    m = s.mrec
    if m is None or len(m.codes) < 2 or not m.info or m.resolved is not None:
        return None
    values = m.info.split(",")
    if len(values) == len(m.codes):
        return ok(f"{len(values)} info values for {len(m.codes)} codes")
    return bad(f"info {m.info!r} holds {len(values)} value(s) for {len(m.codes)} codes; "
               "the N-th value belongs to the N-th code")


@rule(
    "mrec-reading",
    "A reading paired with a code that measures something is a plain number in the code's unit "
    "(1.11 for F001, in VDC).",
    group=MREC,
)
def mrec_reading(s: Subject) -> Verdict | None:
    if s.mrec is None:
        return None
    pairs = [(entry, item) for entry, item in _measured_pairs(s.mrec) if item]
    if not pairs:
        return None
    wrong = [(entry, item) for entry, item in pairs if parse_number(item) is None]
    if wrong:
        return bad("; ".join(
            f"{entry.code} reading {item!r} is not a number ({_unit(entry)})"
            for entry, item in wrong
        ))
    return ok("readings are numbers")


@rule(
    "mrec-threshold",
    "A reading lies on the tripping side of its code's threshold (F001 trips below 1.23 VDC, so "
    "F001 with 1.50 is inconsistent).",
    group=MREC,
)
def mrec_threshold(s: Subject) -> Verdict | None:
    if s.mrec is None:
        return None
    judged = []
    for entry, item in _measured_pairs(s.mrec):
        value = parse_number(item) if item else None
        if value is None or entry.measurement is None:
            continue
        consistent = entry.measurement.consistent(value)
        if consistent is not None:  # None: no threshold, or one per volt of an unknown voltage
            judged.append((entry, item, consistent))
    if not judged:
        return None
    wrong = [(entry, item) for entry, item, fine in judged if not fine]
    if wrong:
        return bad("; ".join(_wrong_side(entry, item) for entry, item in wrong))
    return ok("readings lie beyond their thresholds")


_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}


def _wrong_side(entry: CatalogEntry, item: str) -> str:
    measurement = entry.measurement
    assert measurement is not None
    side = _WORDS.get(measurement.comparison or "", measurement.comparison)
    return (
        f"{entry.code} reports {item} {measurement.unit}, but it trips only when the "
        f"{measurement.quantity} is {side} {measurement.threshold:g} {measurement.unit}"
    )


@rule(
    "mrec-reading-missing",
    "A code that reports a measurement (F000–F003, F006–F009) comes with its reading in info.",
    Severity.WARNING,
    group=MREC,
)
def mrec_reading_missing(s: Subject) -> Verdict | None:
    if s.mrec is None:
        return None
    pairs = list(_measured_pairs(s.mrec))
    if not pairs:
        return None
    missing = [entry for entry, item in pairs if not item]
    if missing:
        return bad("; ".join(f"{e.code} comes without its reading ({_unit(e)})" for e in missing))
    return ok("every measured code has its reading")


@rule(
    "mrec-status",
    "The status is the one the code prescribes (EVgo: Finishing for F000–F003, Faulted for the "
    "others; with several codes, one of theirs); a status the standard shows only in its sample "
    "message (ChargeX) is a warning.",
    group=MREC,
)
def mrec_status(s: Subject) -> Verdict | None:
    m = s.mrec
    if m is None or m.resolved is not None or m.status is None:
        return None
    entries = [e for e in m.known if e.expected_status]
    prescribed = sorted({e.expected_status for e in entries if e.expected_status})
    if not prescribed:
        return None
    if m.status in prescribed:
        return ok(f"status {m.status} as prescribed")
    codes = ",".join(e.code for e in entries)
    verb = "expects" if len(entries) == 1 else "expect"
    expected = f"{codes} {verb} status {' or '.join(prescribed)}"
    if all(e.status_from_sample for e in entries):
        return doubtful(f"{expected} (only as the standard's sample message shows it); "
                        f"the charger reported {m.status}")
    return bad(f"{expected}; the charger reported {m.status}")


@rule(
    "mrec-connector",
    "connectorId is 0 for a code about the whole charger (EVgo A004, emergency stop) and only "
    "for such a code.",
    group=MREC,
)
def mrec_connector(s: Subject) -> Verdict | None:
    m = s.mrec
    if m is None or m.connector_id is None or m.connector_id < 0:
        return None
    whole = [e.code for e in m.known if e.expected_connector_id == 0]
    single = [e.code for e in m.known if e.expected_connector_id not in (None, 0)]
    if not whole and not single:
        return None
    if whole and m.connector_id != 0:
        return bad(f"{','.join(whole)} concerns the whole charger and is sent on connectorId 0, "
                   f"not {m.connector_id}")
    if single and m.connector_id == 0:
        return bad(f"{','.join(single)} concerns one connector; connectorId 0 is for codes about "
                   "the whole charger (A004)")
    return ok(f"connectorId {m.connector_id} fits")


@rule(
    "chargex-resolved",
    "A ChargeX resolution notice (info \"Error CXnnn resolved\") names the one code it carries "
    "in vendorErrorCode.",
    group=MREC,
)
def chargex_resolved(s: Subject) -> Verdict | None:
    m = s.mrec
    if m is None or m.resolved is None:
        return None
    sent = [c.raw for c in m.codes]
    if len(sent) == 1 and sent[0].upper() == m.resolved.upper():
        return ok(f"resolves {sent[0]}")
    return bad(f"info says {m.resolved} is resolved, but vendorErrorCode carries {','.join(sent)}")
