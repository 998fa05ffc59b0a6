"""The charger's own maker decides what its bare codes mean.

A vendor pack (a catalog scheme with `charge_point_vendors`) applies to a charger whose
BootNotification named that maker, whatever vendorId its StatusNotifications carry — Alfen's
carry none. After the vendorId-driven decoding, each fault still unknown (or only guessed from
its shape) is looked up in the packs of the charger's maker; found, it becomes that entry.
"""

from __future__ import annotations

from dataclasses import replace

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import CatalogEntry
from evfault.decode.codes import Resolution, make_fault
from evfault.decode.model import Decoded, Fault, Report
from evfault.decode.rules import Rule, show


def with_charger_vendor(decoded: Decoded, catalog: Catalog,
                        charge_point_vendor: str | None) -> Decoded:
    """`decoded` with the faults the charger's maker's packs know read from them."""
    schemes = [s.name for s in catalog.schemes_for_charger(charge_point_vendor)]
    if not schemes or not decoded.reports:
        return decoded
    recognised: set[str] = set()
    reports = tuple(_report(r, catalog, schemes, recognised) for r in decoded.reports)
    if not recognised:
        return decoded
    warnings = tuple(w for w in decoded.warnings if not _about(w.rule, w.message, recognised))
    return replace(decoded, reports=reports, warnings=warnings)


def booted_vendor(decoded: Decoded) -> str | None:
    """The maker a BootNotification names (1.6 chargePointVendor, 2.0.1 vendorName)."""
    if decoded.action != "BootNotification" or not decoded.payload:
        return None
    payload = decoded.payload
    station = payload.get("chargingStation")
    vendor = station.get("vendorName") if isinstance(station, dict) else None
    vendor = payload.get("chargePointVendor", vendor)
    return vendor if isinstance(vendor, str) and vendor.strip() else None


def for_charger(decoded: Decoded, catalog: Catalog, given: str | None,
                last: str | None) -> tuple[Decoded, str | None]:
    """One message of a charger's log, read with its maker's packs: `given` (a person said which
    maker) wins, else the last BootNotification seen (`last`, returned updated)."""
    vendor = given or booted_vendor(decoded) or last
    return with_charger_vendor(decoded, catalog, vendor), vendor


def _report(report: Report, catalog: Catalog, schemes: list[str],
            recognised: set[str]) -> Report:
    faults = tuple(_fault(f, catalog, schemes, recognised) for f in report.faults)
    cleared = tuple(_fault(f, catalog, schemes, recognised) for f in report.cleared)
    if faults == report.faults and cleared == report.cleared:
        return report
    return replace(report, faults=faults, cleared=cleared)


def _fault(fault: Fault, catalog: Catalog, schemes: list[str], recognised: set[str]) -> Fault:
    if fault.entry is not None and not fault.guessed:
        return fault
    entry = _find(catalog, schemes, fault.raw_code)
    if entry is None:
        return fault
    recognised.add(fault.raw_code)
    found, _ = make_fault(Resolution(entry.scheme, entry.code, entry), fault.raw_code,
                          fault.vendor_id, fault.error_code, fault.info, fault.connector_id)
    return found


def _find(catalog: Catalog, schemes: list[str], code: str) -> CatalogEntry | None:
    for scheme in schemes:
        entry = catalog.get(scheme, code)
        if entry is not None:
            return entry
    return None


def _about(rule: str, message: str, codes: set[str]) -> bool:
    """A 'code unknown' warning about a code the pack now knows."""
    return rule == Rule.CODE_UNKNOWN and any(show(code) in message for code in codes)
