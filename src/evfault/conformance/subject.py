"""One message made ready for the rules: the frame, and its MREC content read once.

A 1.6 StatusNotification is an MREC message when its vendorId names an MREC scheme
(com.evgo.mrec, https://chargex.inl.gov), or when it has no vendorId and its codes have the shape
of MREC codes (F0xx, CXnnn). Under another vendor's vendorId, codes are that vendor's own and the
MREC rules leave them alone: "F123" from a manufacturer is not a broken EVgo code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import CatalogEntry
from evfault.conformance import schemas
from evfault.conformance.frames import CALL, Message
from evfault.decode.interpret import resolved_code
from evfault.decode.model import Decoded

MREC_SCHEMES = ("evgo-mrec", "chargex-mrec")
STATUS_NOTIFICATION = "StatusNotification"
NOTIFY_EVENT = "NotifyEvent"

# RFC 3339 date-time, which the OCPP JSON schemas' "date-time" format means.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a message, with the MREC scheme it belongs to and its entry (None: unknown)."""

    raw: str
    scheme: str | None
    by_pattern: str | None  # the scheme whose code shape it has
    entry: CatalogEntry | None


@dataclass(frozen=True, slots=True)
class MrecStatus:
    """The MREC content of a 1.6 StatusNotification. A field of the wrong type reads as None."""

    vendor_id: str | None
    vendor_scheme: str | None  # the MREC scheme the vendorId names
    codes: tuple[Code, ...]
    info: str | None
    resolved: str | None  # the code named by an "Error CXnnn resolved" info
    connector_id: int | None
    status: str | None
    error_code: str | None
    timestamp: object  # as sent (None: absent)

    @property
    def known(self) -> tuple[CatalogEntry, ...]:
        return tuple(c.entry for c in self.codes if c.entry is not None)

    @property
    def info_items(self) -> tuple[str, ...] | None:
        """The info value paired with each code; None when pairing cannot be told."""
        if self.resolved is not None:
            return None
        if not self.info:
            return ("",) * len(self.codes)
        if len(self.codes) == 1:
            return (self.info.strip(),)  # one code: all of info is its value
        items = tuple(item.strip() for item in self.info.split(","))
        return items if len(items) == len(self.codes) else None


@dataclass(frozen=True, slots=True)
class MrecEvent:
    """An OCPP 2.0.1 NotifyEvent eventData item carrying an MREC techCode."""

    code: Code
    timestamp: object


@dataclass(frozen=True, slots=True)
class Subject:
    """What the rules look at: the message, and its MREC content when it has any."""

    message: Message
    catalog: Catalog
    mrec: MrecStatus | None = None
    events: tuple[MrecEvent, ...] = ()
    # What the decoder made of a CALL: its reports, and what it observed while reading the
    # fields (rules_decode.py turns those observations into findings).
    decoded: Decoded | None = None
    # The payload walked against its schema, per (version, action, response): three rules need
    # it, and walking once instead of three times was a third of judging a message.
    walks: dict[tuple[str, str, bool], schemas.Walked] = field(default_factory=dict)

    @property
    def payload(self) -> Any:
        return self.message.payload

    def walk(self, version: str, action: str, response: bool) -> schemas.Walked:
        key = (version, action, response)
        found = self.walks.get(key)
        if found is None:
            found = self.walks[key] = schemas.walk(version, action, self.payload, response)
        return found

    @property
    def has_mrec(self) -> bool:
        return self.mrec is not None or bool(self.events)


def subject(message: Message, catalog: Catalog, decoded: Decoded | None = None) -> Subject:
    """The Subject for a message, with its MREC content read."""
    if message.problem is not None or message.kind != CALL:
        return Subject(message, catalog)
    payload = message.payload
    if message.action == STATUS_NOTIFICATION and message.version == "1.6":
        return Subject(message, catalog, mrec=mrec_status(payload, catalog), decoded=decoded)
    if message.action == NOTIFY_EVENT:
        return Subject(message, catalog, events=mrec_events(payload, catalog), decoded=decoded)
    return Subject(message, catalog, decoded=decoded)


def mrec_status(payload: Mapping[str, Any], catalog: Catalog) -> MrecStatus | None:
    vendor = _text(payload.get("vendorId"))
    vendor_scheme = _vendor_scheme(catalog, vendor)
    raw_codes = _text(payload.get("vendorErrorCode"))
    if not raw_codes:
        return None
    if vendor_scheme is None and vendor and vendor.strip():
        return None  # another vendor's own codes
    codes = tuple(_code(catalog, item.strip(), vendor_scheme) for item in raw_codes.split(","))
    if vendor_scheme is None and not any(c.by_pattern for c in codes):
        return None
    info = _text(payload.get("info"))
    return MrecStatus(
        vendor_id=vendor,
        vendor_scheme=vendor_scheme,
        codes=codes,
        info=info,
        resolved=resolved_code(info),
        connector_id=_integer(payload.get("connectorId")),
        status=_text(payload.get("status")),
        error_code=_text(payload.get("errorCode")),
        timestamp=payload.get("timestamp"),
    )


def mrec_events(payload: Mapping[str, Any], catalog: Catalog) -> tuple[MrecEvent, ...]:
    events = payload.get("eventData")
    if not isinstance(events, list):
        return ()
    found = []
    for event in events:
        tech_code = _text(event.get("techCode")) if isinstance(event, dict) else None
        if tech_code:
            code = _code(catalog, tech_code.strip(), None)
            if code.by_pattern is not None:
                found.append(MrecEvent(code, event.get("timestamp")))
    return tuple(found)


def parse_rfc3339(value: str) -> datetime | None:
    """The date-time an RFC 3339 string names, or None when it is not one (range-checked)."""
    match = _RFC3339.match(value)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


@cache
def _patterns(catalog: Catalog) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(scheme.code_pattern, re.IGNORECASE), scheme.name)
        for name in MREC_SCHEMES
        if (scheme := catalog.schemes.get(name)) is not None and scheme.code_pattern
    )


def _code(catalog: Catalog, raw: str, vendor_scheme: str | None) -> Code:
    by_pattern = next((name for p, name in _patterns(catalog) if p.fullmatch(raw)), None)
    scheme = by_pattern or vendor_scheme
    entry = catalog.get(scheme, raw) if scheme and raw else None
    return Code(raw, scheme, by_pattern, entry)


def _vendor_scheme(catalog: Catalog, vendor: str | None) -> str | None:
    found = catalog.scheme_for_vendor(vendor)
    return found.name if found is not None and found.name in MREC_SCHEMES else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: object) -> int | None:
    return value if type(value) is int else None
