"""Deliberately broken MREC messages, for scenarios that exercise a central system or the checker.

The simulator builds every MREC message with the encoder, which refuses non-conforming ones; a
scenario fault with `broken: <name>` then bends the built payload in exactly one way. Each name
is the id of the `evfault check` rule the result breaks, so a log of the run checks out with
exactly that rule failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evfault.catalog.catalog import Catalog, default_catalog

Payload = dict[str, Any]


def _timestamp_format(payload: Payload, catalog: Catalog) -> None:
    # The ChargeX examples' own mistake: hyphens in the time part.
    payload["timestamp"] = payload["timestamp"][:13] + "-" + payload["timestamp"][14:16] + "-" + \
        payload["timestamp"][17:]


def _mrec_timestamp(payload: Payload, catalog: Catalog) -> None:
    payload.pop("timestamp", None)


def _mrec_vendor_id(payload: Payload, catalog: Catalog) -> None:
    payload.pop("vendorId", None)


def _mrec_status(payload: Payload, catalog: Catalog) -> None:
    if payload["connectorId"] == 0:
        payload["status"] = "Available"  # the one wrong status connector 0 may still have
    else:
        payload["status"] = "Finishing" if payload["status"] != "Finishing" else "Faulted"


def _mrec_error_code(payload: Payload, catalog: Catalog) -> None:
    payload["errorCode"] = "NoError"


def _mrec_threshold(payload: Payload, catalog: Catalog) -> None:
    """Move the first reading with a threshold to the wrong side of it."""
    codes = payload["vendorErrorCode"].split(",")
    infos = payload["info"].split(",") if payload["info"] else [""] * len(codes)
    vendor = catalog.scheme_for_vendor(payload.get("vendorId"))
    for index, code in enumerate(codes):
        entry = catalog.get(vendor.name, code) if vendor else None
        measurement = entry.measurement if entry else None
        if measurement and measurement.threshold is not None and not measurement.threshold_unit:
            below = (measurement.comparison or ">").startswith("<")
            infos[index] = f"{measurement.threshold * (1.2 if below else 0.8):.2f}"
            payload["info"] = ",".join(infos)
            return


def _mrec_info_pairing(payload: Payload, catalog: Catalog) -> None:
    # Pairing concerns compound codes; on a single code this breaks mrec-reading instead.
    payload["info"] = (payload["info"] + ",") if payload["info"] else "0,0,0"


BREAKAGES: dict[str, Callable[[Payload, Catalog], None]] = {
    "timestamp-format": _timestamp_format,
    "mrec-timestamp": _mrec_timestamp,
    "mrec-vendor-id": _mrec_vendor_id,
    "mrec-status": _mrec_status,
    "mrec-error-code": _mrec_error_code,
    "mrec-threshold": _mrec_threshold,
    "mrec-info-pairing": _mrec_info_pairing,
}


def break_payload(payload: Payload, breakage: str, catalog: Catalog | None = None) -> Payload:
    """A copy of a built StatusNotification payload, broken the named way."""
    broken = dict(payload)
    BREAKAGES[breakage](broken, catalog or default_catalog())
    return broken
