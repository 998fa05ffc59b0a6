"""What (vendorId, vendorErrorCode, errorCode) mean, before `info` is read.

A charger repeats the same codes with ever-changing readings, so this part is worked out once
per code combination and cached; only the readings are read per message (interpret.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import Scheme
from evfault.decode.codes import UNKNOWN as UNKNOWN_SCHEME
from evfault.decode.codes import CodeResolver, Resolution, unknown_code_warning
from evfault.decode.model import DecodeWarning
from evfault.decode.rules import Rule, show, warn
from evfault.decode.vendors import (
    UNKNOWN_VENDOR,
    VendorDecoder,
    VendorRegistry,
    normalise_vendor_id,
)

NO_ERROR = "NoError"
OTHER_ERROR = "OtherError"

# OCPP 1.6 §7.6 ChargePointErrorCode: the 16 values.
ERROR_CODES = frozenset(
    {
        "ConnectorLockFailure",
        "EVCommunicationError",
        "GroundFailure",
        "HighTemperature",
        "InternalError",
        "LocalListConflict",
        "NoError",
        "OtherError",
        "OverCurrentFailure",
        "OverVoltage",
        "PowerMeterFailure",
        "PowerSwitchFailure",
        "ReaderFailure",
        "ResetFailure",
        "UnderVoltage",
        "WeakSignal",
    }
)
_ERROR_CODES_LOWER = {code.lower(): code for code in ERROR_CODES}

# OCPP 1.6 §6.47: info and vendorErrorCode are CiString50, vendorId CiString255.
FIELD_LIMITS = {"vendorId": 255, "vendorErrorCode": 50, "info": 50}

Item = tuple[str, Resolution] | None  # (code as sent, where it was found); None: empty item


@dataclass(frozen=True, slots=True)
class CodePlan:
    """The codes of one message, resolved, with every warning they raise."""

    decoder: VendorDecoder
    error_code: str | None  # canonical enum spelling, or the unknown value as sent
    sent_error_code: str | None  # exactly as sent
    items: tuple[Item, ...]  # one per comma-separated position of vendorErrorCode
    warnings: tuple[DecodeWarning, ...]
    has_codes: bool  # some item is a code


class Planner:
    """Resolves codes against one catalog and one vendor registry."""

    def __init__(self, catalog: Catalog, registry: VendorRegistry) -> None:
        self.catalog = catalog
        self.registry = registry
        self.resolver = CodeResolver(catalog)

    def plan(self, vendor_id: str | None, codes: str | None, error_code: str | None) -> CodePlan:
        warnings = field_warnings(("vendorId", vendor_id), ("vendorErrorCode", codes))
        canonical = canonical_error_code(error_code, warnings)
        decoder = self.decoder_for(vendor_id, codes)
        items: tuple[Item, ...] = ()
        if codes and codes.strip() and canonical != NO_ERROR:
            items = tuple(
                (raw, self.resolve(decoder, raw, vendor_id, warnings)) if raw else None
                for raw in split_codes(codes, warnings)
            )
            check_error_code_pairing(items, canonical, warnings)
        elif codes and canonical == NO_ERROR:
            no_error_with_code(codes, warnings)
        return CodePlan(decoder, canonical, error_code, items, tuple(warnings), any(items))

    def decoder_for(self, vendor_id: str | None, codes: str | None) -> VendorDecoder:
        """The registered decoder for vendorId; else one for the scheme the vendorId names; a
        vendorId nobody knows keeps its codes opaque (F001 from com.acme is Acme's, not
        EVgo's). Only without any vendorId does the first code's shape name the scheme (a CX
        code from a charger that forgot its vendorId is taken for ChargeX, as a guess)."""
        decoder = self.registry.for_vendor(vendor_id)
        if decoder is not None:
            return decoder
        scheme = self.catalog.scheme_for_vendor(vendor_id)
        if scheme is None and codes and not (vendor_id and vendor_id.strip()):
            first = next((c.strip() for c in codes.split(",") if c.strip()), "")
            name = self.catalog.scheme_for_code(first)
            scheme = self.catalog.schemes.get(name) if name else None
        if scheme is None:
            return UNKNOWN_VENDOR
        return self.registry.for_scheme(scheme.name) or generic_decoder(scheme)

    def resolve(
        self,
        decoder: VendorDecoder,
        code: str,
        vendor_id: str | None,
        warnings: list[DecodeWarning],
    ) -> Resolution:
        """The code in the scheme its vendorId names; by its form only when there is none."""
        named = bool(vendor_id and vendor_id.strip())
        found = self.resolver.resolve(code, decoder.scheme, by_shape=not named)
        if not named and found.scheme != UNKNOWN_SCHEME and not found.guessed:
            found = replace(found, guessed=True)  # the scheme came from the code's shape
        if found.entry is None:
            if named:
                self._other_family(code, found, vendor_id, warnings)
            warnings.append(unknown_code_warning(found, vendor_id))
        elif found.code != code:
            warnings.append(warn(Rule.CODE_CASE, f"code {show(code)} is written {found.code}."))
        self._check_vendor_id(found.scheme, vendor_id, warnings)
        return found

    def _other_family(self, code: str, found: Resolution, vendor_id: str | None,
                      warnings: list[DecodeWarning]) -> None:
        """A code shaped like another registered scheme's, sent under a vendorId that names a
        scheme (CX011 under com.evgo.mrec): read as the vendorId says, and said so."""
        shaped = self.catalog.scheme_for_code(code)
        if found.scheme == UNKNOWN_SCHEME or shaped is None or shaped == found.scheme:
            return
        warnings.append(warn(
            Rule.VENDOR_ID_MISMATCH,
            f"code {show(code)} has the form of {shaped} codes but came with vendorId "
            f"{show(vendor_id)}; it was read as that vendor's {found.scheme} code.",
        ))

    def _check_vendor_id(
        self, scheme_name: str, vendor_id: str | None, warnings: list[DecodeWarning]
    ) -> None:
        """A code of a vendor scheme that came without that vendor's vendorId."""
        scheme = self.catalog.schemes.get(scheme_name)
        decoder = self.registry.for_scheme(scheme_name)
        expected = (scheme.vendor_ids if scheme else ()) or (decoder.vendor_ids if decoder else ())
        if not expected:
            return
        if vendor_id and normalise_vendor_id(vendor_id) in map(normalise_vendor_id, expected):
            return
        got = "no vendorId" if not vendor_id else f"vendorId {show(vendor_id)}"
        found = warn(
            Rule.VENDOR_ID_MISSING if not vendor_id else Rule.VENDOR_ID_MISMATCH,
            f"{scheme_name} codes should come with vendorId {show(expected[0])}, "
            f"this one came with {got}; it was recognised by its form.",
        )
        if found not in warnings:
            warnings.append(found)


def generic_decoder(scheme: Scheme) -> VendorDecoder:
    """A catalog scheme with vendorIds but no registered decoder: REPLACE, one value per code."""
    return VendorDecoder(
        name=scheme.title, scheme=scheme.name, vendor_ids=scheme.vendor_ids, compound_info=True
    )


def split_codes(codes: str, warnings: list[DecodeWarning]) -> list[str]:
    """The codes of a vendorErrorCode, comma-separated when several are active (EVgo MREC,
    "Compound Error Codes"), stripped. An empty item stays in place as "" so that the N-th info
    value still pairs with the N-th code, as the spec counts them."""
    items = codes.split(",")
    stripped = [item.strip() for item in items]
    if stripped != items:
        warnings.append(
            warn(Rule.CODE_WHITESPACE, f"vendorErrorCode {show(codes)} has spaces around a code.")
        )
    if len(items) > 1 and not all(stripped):
        warnings.append(
            warn(Rule.CODE_EMPTY_ITEM, f"vendorErrorCode {show(codes)} has an empty item.")
        )
    return stripped


def field_warnings(*fields: tuple[str, str | None]) -> list[DecodeWarning]:
    """CiString limits: the length of each field, printable ASCII only."""
    warnings = []
    for name, value in fields:
        if value is None:
            continue
        if len(value) > FIELD_LIMITS[name]:
            warnings.append(
                warn(
                    Rule.FIELD_LENGTH,
                    f"{name} is {len(value)} characters; OCPP 1.6 allows {FIELD_LIMITS[name]}.",
                )
            )
        if not (value.isascii() and value.isprintable()):
            warnings.append(
                warn(
                    Rule.FIELD_CHARSET,
                    f"{name} {show(value)} holds characters other than printable ASCII.",
                )
            )
    return warnings


def canonical_error_code(error_code: str | None, warnings: list[DecodeWarning]) -> str | None:
    """errorCode in its enum spelling; an unknown value is kept as sent, with a warning."""
    if error_code is None:
        warnings.append(warn(Rule.FIELD_MISSING, "errorCode is missing; OCPP 1.6 requires it."))
        return None
    if error_code in ERROR_CODES:
        return error_code
    canonical = _ERROR_CODES_LOWER.get(error_code.strip().lower())
    if canonical is not None:
        warnings.append(
            warn(Rule.ERROR_CODE_CASE, f"errorCode {show(error_code)} is spelt {canonical}.")
        )
        return canonical
    warnings.append(
        warn(
            Rule.ERROR_CODE_UNKNOWN,
            f"errorCode {show(error_code)} is not an OCPP 1.6 ChargePointErrorCode; "
            "it was kept as an unknown code.",
        )
    )
    return error_code


def no_error_with_code(codes: str, warnings: list[DecodeWarning]) -> None:
    """NoError says nothing is wrong; a vendor code beside it is usually a stale leftover. Many
    chargers send a placeholder ("0", "NoError") with every NoError; that is not worth a word."""
    if codes.strip("0 ") and codes.strip().lower() != "noerror":
        warnings.append(
            warn(
                Rule.ERROR_CODE_CONFLICT,
                f"errorCode NoError came with vendorErrorCode {show(codes)}; read as no error.",
            )
        )


def check_error_code_pairing(
    items: tuple[Item, ...], error_code: str | None, warnings: list[DecodeWarning]
) -> None:
    """A code whose entry names its OCPP errorCode (ChargeX CX006 → UnderVoltage) should travel
    with it. The errorCode is then just its carrier: one fault, not two."""
    entries = [item[1].entry for item in items if item is not None and item[1].entry]
    expected = {e.ocpp_error_code for e in entries if e and e.ocpp_error_code}
    if not expected or error_code is None or error_code in expected:
        return
    if len(entries) > 1 and error_code == OTHER_ERROR:
        return  # one errorCode cannot name several codes; OtherError is the honest carrier
    names = ", ".join(e.ref for e in entries if e)
    warnings.append(
        warn(
            Rule.ERROR_CODE_MISMATCH,
            f"{names} travels with errorCode {' or '.join(sorted(expected))}, "
            f"not {show(error_code)}.",
        )
    )
