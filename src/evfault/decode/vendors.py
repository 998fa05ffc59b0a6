"""Vendor decoders, registered by vendorId: how each family of chargers packs its codes.

Adding a vendor is adding one `VendorDecoder` to `default_registry()` (and, for its texts, one
catalog data file). Override `split_info` only where a vendor packs `info` in its own way.
docs/vendors.md describes each entry and the quirks behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from evfault.decode.model import DecodeWarning, SetRule
from evfault.decode.rules import Rule, show, warn


def normalise_vendor_id(vendor_id: str) -> str:
    """vendorId is a CiString (case-insensitive); chargers also vary on a trailing slash."""
    return vendor_id.strip().lower().rstrip("/")


@dataclass(frozen=True, slots=True)
class VendorDecoder:
    """How one vendorId's messages are read."""

    name: str
    scheme: str | None  # the catalog scheme its codes live in; None: codes are opaque
    vendor_ids: tuple[str, ...] = ()
    rule: SetRule = SetRule.REPLACE  # what one of its reports means for the connector's set
    compound_info: bool = False  # info is one comma-separated value per code, even for one code
    requires_timestamp: bool = False

    def split_info(
        self, info: str | None, codes: int
    ) -> tuple[list[str | None], list[DecodeWarning]]:
        """The info item paired with each of `codes` codes, N-th with N-th."""
        if not info:
            return [None] * codes, []
        if codes == 1 and not self.compound_info:
            return [info], []  # one code: the whole info is its text, commas and all
        items = info.split(",")
        warnings: list[DecodeWarning] = []
        stripped = [item.strip() for item in items]
        if stripped != items:
            warnings.append(_info_whitespace(info))
        if len(stripped) != codes:
            warnings.append(_info_count(info, len(stripped), codes))
        paired: list[str | None] = [item or None for item in stripped[:codes]]
        return paired + [None] * (codes - len(paired)), warnings


def _info_whitespace(info: str) -> DecodeWarning:
    return warn(
        Rule.INFO_WHITESPACE, f"info {show(info)} has spaces around its values; they were ignored."
    )


def _info_count(info: str, found: int, codes: int) -> DecodeWarning:
    return warn(
        Rule.INFO_COUNT_MISMATCH,
        f"info {show(info)} holds {found} value(s) for {codes} code(s); "
        "values were paired by position and the rest left unpaired.",
    )


# EVgo MREC v1.0.1: vendorId com.evgo.mrec; concurrent errors travel together as comma-separated
# codes with their readings in the same order ("Compound Error Codes"), so each message states
# the connector's whole set; timestamp required, UTC only ("Status Notification Conventions").
EVGO = VendorDecoder(
    name="EVgo Minimum Required Error Codes",
    scheme="evgo-mrec",
    vendor_ids=("com.evgo.mrec",),
    rule=SetRule.REPLACE,
    compound_info=True,
    requires_timestamp=True,
)

# ChargeX MREC (INL, Rev 5): vendorId https://chargex.inl.gov, one CX code per message, info the
# measured value. EVerest raises codes one by one and clears each with "Error CXnnn resolved"
# (EVerest#2455), so a report adds to the connector's set rather than replacing it.
CHARGEX = VendorDecoder(
    name="ChargeX Minimum Required Error Codes",
    scheme="chargex-mrec",
    vendor_ids=("https://chargex.inl.gov",),
    rule=SetRule.ACCUMULATE,
    compound_info=False,
    requires_timestamp=True,
)

# Any vendorId nobody registered: the code is kept as it came, and plain OCPP 1.6 semantics hold
# (each StatusNotification states the connector's condition).
UNKNOWN_VENDOR = VendorDecoder(name="Unknown vendor", scheme=None, rule=SetRule.REPLACE)


class VendorRegistry:
    """Vendor decoders by vendorId (normalised) and by scheme."""

    def __init__(self, decoders: Iterable[VendorDecoder] = ()) -> None:
        self._by_vendor: dict[str, VendorDecoder] = {}
        self._by_scheme: dict[str, VendorDecoder] = {}
        for decoder in decoders:
            self.register(decoder)

    def register(self, decoder: VendorDecoder) -> VendorDecoder:
        for vendor_id in decoder.vendor_ids:
            self._by_vendor[normalise_vendor_id(vendor_id)] = decoder
        if decoder.scheme is not None:
            self._by_scheme.setdefault(decoder.scheme, decoder)
        return decoder

    def for_vendor(self, vendor_id: str | None) -> VendorDecoder | None:
        if not vendor_id:
            return None
        return self._by_vendor.get(normalise_vendor_id(vendor_id))

    def for_scheme(self, scheme: str) -> VendorDecoder | None:
        return self._by_scheme.get(scheme)

    def __iter__(self) -> Iterator[VendorDecoder]:
        return iter(dict.fromkeys(self._by_vendor.values()))


@lru_cache(maxsize=1)
def default_registry() -> VendorRegistry:
    """The vendors evfault knows out of the box."""
    return VendorRegistry([EVGO, CHARGEX])
