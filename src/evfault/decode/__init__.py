"""OCPP messages in, typed faults and conformance warnings out. Pure: no I/O.

    >>> from evfault.decode import decode_text
    >>> decoded = decode_text('[2,"1","StatusNotification",{"connectorId":1,'
    ...     '"errorCode":"OtherError","status":"Finishing","vendorId":"com.evgo.mrec",'
    ...     '"vendorErrorCode":"F001,F003","info":"1.11,5.00"}]')
    >>> [(f.code, f.reading.value, f.reading.unit) for f in decoded.faults if f.reading]
    [('F001', 1.11, 'VDC'), ('F003', 5.0, 'VDC')]
    >>> [w.rule for w in decoded.warnings]
    ['timestamp-missing']

The module-level functions use one shared Decoder on the bundled catalog; build a `Decoder`
yourself to decode against another catalog or vendor registry.
"""

from __future__ import annotations

from functools import lru_cache

from evfault.decode.decoder import Decoder, guess_action
from evfault.decode.model import Decoded, DecodeWarning, Fault, Reading, Report, SetRule
from evfault.decode.packs import with_charger_vendor
from evfault.decode.rules import Rule
from evfault.decode.vendors import VendorDecoder, VendorRegistry, default_registry

__all__ = [
    "DecodeWarning",
    "Decoded",
    "Decoder",
    "Fault",
    "Reading",
    "Report",
    "Rule",
    "SetRule",
    "VendorDecoder",
    "VendorRegistry",
    "decode",
    "decode_frame",
    "decode_payload",
    "decode_text",
    "default_decoder",
    "default_registry",
    "guess_action",
    "with_charger_vendor",
]


@lru_cache(maxsize=1)
def default_decoder() -> Decoder:
    """The shared Decoder on the bundled catalog and vendor registry."""
    return Decoder()


# `charger_vendor` is the chargePointVendor the charger gave at boot: its maker's vendor packs
# then read the codes no vendorId explained (decode/packs.py).


def _for(decoded: Decoded, charger_vendor: str | None) -> Decoded:
    if not charger_vendor:
        return decoded
    return with_charger_vendor(decoded, default_decoder().catalog, charger_vendor)


def decode(message: object, version: str | None = None,
           charger_vendor: str | None = None) -> Decoded:
    """A frame (list), a payload (dict), or text/bytes holding either; see Decoder.decode."""
    return _for(default_decoder().decode(message, version), charger_vendor)


def decode_text(line: str | bytes, version: str | None = None,
                charger_vendor: str | None = None) -> Decoded:
    """A frame, a payload, or either behind a log prefix, as one line of text."""
    return _for(default_decoder().decode_text(line, version), charger_vendor)


def decode_frame(frame: object, version: str | None = None,
                 charger_vendor: str | None = None) -> Decoded:
    """An OCPP-J frame, parsed or as text."""
    return _for(default_decoder().decode_frame(frame, version), charger_vendor)


def decode_payload(action: str | None, payload: object, version: str | None = None,
                   charger_vendor: str | None = None) -> Decoded:
    """A bare payload (dict or JSON text); `action` None: told by its keys."""
    return _for(default_decoder().decode_payload(action, payload, version), charger_vendor)
