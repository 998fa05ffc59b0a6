"""One code → one Fault: find its catalog entry (or keep it as unknown) and read its measurement."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import CatalogEntry, Kind
from evfault.decode.model import DecodeWarning, Fault, Reading
from evfault.decode.rules import Rule, show, warn

OCPP16 = "ocpp1.6"
OCPP201 = "ocpp2.0.1"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a code was recognised: its scheme, canonical spelling and entry (None: unknown)."""

    scheme: str
    code: str
    # Left out of ==/hash: (scheme, code) decide the entry, and hashing an entry is slow.
    entry: CatalogEntry | None = field(compare=False)
    # Recognised by its shape alone (F001 looks like EVgo's), the message naming no vendorId.
    guessed: bool = False


class CodeResolver:
    """Finds the scheme and entry of a bare code, first in the scheme its sender claims."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def resolve(self, code: str, home: str | None, fallbacks: tuple[str, ...] = (),
                by_shape: bool = True) -> Resolution:
        """The code in `home` (the vendorId's scheme), else — when `by_shape` (no vendorId
        named a scheme) — by code pattern, a guess, else an error code of one of the
        `fallbacks` schemes (a 2.0.1 techCode "GroundFailure").

        A code the home scheme lacks stays that scheme's unknown code; a code matching a
        scheme's pattern but absent from the catalog keeps that scheme (an MREC code we have no
        text for is still an MREC code); anything else is scheme "unknown".
        """
        if home is not None and home in self.catalog.schemes:
            entry = self.catalog.get(home, code)
            if entry is not None:
                return Resolution(home, entry.code, entry)
            if not by_shape:
                return Resolution(home, code, None)
        by_pattern = self.catalog.scheme_for_code(code) if by_shape else None
        if by_pattern is not None:
            entry = self.catalog.get(by_pattern, code)
            return Resolution(by_pattern, entry.code if entry else code.upper(), entry, True)
        for scheme in fallbacks:
            entry = self.catalog.get(scheme, code)
            if entry is not None and entry.kind is Kind.ERROR:
                return Resolution(scheme, entry.code, entry)
        return Resolution(UNKNOWN, code, None)


def parse_number(text: str) -> float | None:
    """A finite decimal number, or None. `float()` alone also takes "nan", "inf" and "1_0"."""
    if not text or "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def make_fault(
    found: Resolution,
    raw_code: str,
    vendor_id: str | None,
    error_code: str | None,
    info: str | None,
    connector_id: int | None = None,
) -> tuple[Fault, DecodeWarning | None]:
    """The Fault for a resolved code, with its reading when its entry measures something."""
    reading, problem = read_measurement(found, info)
    fault = Fault(
        scheme=found.scheme,
        code=found.code,
        raw_code=raw_code,
        entry=found.entry,
        vendor_id=vendor_id,
        error_code=error_code,
        reading=reading,
        info=info,
        connector_id=connector_id,
        guessed=found.guessed,
    )
    return fault, problem


def read_measurement(
    found: Resolution, info: str | None
) -> tuple[Reading | None, DecodeWarning | None]:
    """The info item as a reading in the entry's unit; a code without a measurement keeps it as
    plain info (EVerest, for one, writes a message there)."""
    measurement = found.entry.measurement if found.entry else None
    if measurement is None or not info:
        return None, None
    value = parse_number(info)
    if value is None:
        return None, warn(
            Rule.READING_NOT_NUMERIC,
            f"{found.scheme}:{found.code} carries {measurement.quantity} in {measurement.unit}, "
            f"but its info value {show(info)} is not a number.",
        )
    return Reading(value=value, unit=measurement.unit, raw=info), None


def unknown_code_warning(found: Resolution, vendor_id: str | None) -> DecodeWarning:
    where = f"scheme {found.scheme}" if found.scheme != UNKNOWN else "any known scheme"
    sender = f" (vendorId {show(vendor_id)})" if vendor_id else ""
    return warn(Rule.CODE_UNKNOWN, f"code {show(found.code)}{sender} is not in {where}.")
