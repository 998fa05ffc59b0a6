"""How one charger reports one scripted fault: which scheme, which codes, on which connector,
and in which phase of a session it can happen.

A scenario names faults in any scheme (F001, CX002, GroundFailure). An EVgo-speaking 1.6
charger reports EVgo codes, a ChargeX-speaking one ChargeX codes, a 2.0.1 charger ChargeX codes
in NotifyEvent; a code of another scheme is translated through the catalog's `equivalents`, and a
fault with no equivalent in the charger's scheme simply does not happen to that charger.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.catalog.model import CatalogEntry, Kind
from evfault.sim.breakage import BREAKAGES
from evfault.sim.mrec import CHARGEX, EVGO, Condition
from evfault.sim.scenario import FaultSpec
from evfault.sim.sensors import CHARGING_ONLY, IDLE_ONLY, INSTRUMENT, derive

OCPP16 = "ocpp1.6"
FAULT_SCHEMES = (EVGO, CHARGEX, OCPP16)

# Faults that arise while a driver plugs in and starts (latch, cable check, authorisation,
# insertion, locks, vehicle mode): the simulated connector goes to Preparing first.
PLUG_IN_CODES = frozenset({
    "F004", "F005", "A000", "A001", "A002", "A003", "A005",
    "CX001", "CX009", "CX010", "CX011", "CX020", "CX025",
})


@dataclass(frozen=True, slots=True)
class Route:
    """How a charger reports a fault: kind of message, code translation, where and when."""

    kind: str  # "evgo" or "chargex" (MREC), "ocpp" (a plain 1.6 errorCode)
    source_scheme: str
    mapping: tuple[tuple[str, str], ...]  # (scenario code, reported code)
    whole_charger: bool  # reported on connectorId 0 (EVgo A004)
    phase: str  # "charging", "idle", "plug-in", "no-session" or "any"

    @property
    def source_codes(self) -> tuple[str, ...]:
        return tuple(source for source, _ in self.mapping)

    def conditions(
        self, charging: bool, rng: random.Random, catalog: Catalog
    ) -> tuple[Condition, ...]:
        """The conditions the fault shows now, in the reported scheme."""
        found = derive(self.source_codes, self.source_scheme, charging, rng, catalog)
        return _translate(found, dict(self.mapping), self, catalog)


def identify(code: str, catalog: Catalog | None = None) -> CatalogEntry | None:
    """The catalog entry a scenario's code names: scheme:code, an MREC-shaped code, or a plain
    OCPP 1.6 errorCode."""
    cat = catalog or default_catalog()
    if ":" in code:
        scheme, _, bare = code.partition(":")
        return cat.get(scheme, bare)
    shaped = cat.scheme_for_code(code)
    if shaped is not None:
        return cat.get(shaped, code)
    found = [e for e in cat.candidates(code) if e.scheme in FAULT_SCHEMES]
    return found[0] if found else None


def validate_fault(spec: FaultSpec, catalog: Catalog | None = None) -> str | None:
    """Why a scenario fault cannot be simulated, or None."""
    entries = []
    for code in spec.codes:
        entry = identify(code, catalog)
        if entry is None:
            return f"{code} is not a code evfault knows (evfault codes --search {code})"
        if entry.scheme not in FAULT_SCHEMES or entry.kind is not Kind.ERROR:
            return f"{code} ({entry.ref}) is not an error a charger reports"
        entries.append(entry)
    if len({e.scheme for e in entries}) > 1:
        return "codes that trip together must come from one scheme"
    if spec.broken is not None and spec.broken not in BREAKAGES:
        return f"broken must be one of {', '.join(sorted(BREAKAGES))}, not {spec.broken!r}"
    return None


def route(
    spec: FaultSpec, protocol: str, flavour: str, catalog: Catalog | None = None
) -> Route | None:
    """How a charger of this protocol and MREC flavour reports `spec` (None: it cannot)."""
    cat = catalog or default_catalog()
    entries = [identify(code, cat) for code in spec.codes]
    if any(e is None for e in entries):
        return None
    known = [e for e in entries if e is not None]
    source = known[0].scheme
    target = EVGO if protocol == "1.6" and flavour == "evgo" else CHARGEX
    if source == OCPP16 and protocol == "1.6":
        kind = "ocpp"
        mapping = tuple((e.code, e.code) for e in known)
    else:
        kind = "chargex" if target == CHARGEX else "evgo"
        translated = [(e.code, equivalent(e, target, cat)) for e in known]
        if any(code is None for _, code in translated):
            return None
        mapping = tuple((s, t) for s, t in translated if t is not None)
    reported = [cat.get(_reported_scheme(kind, source, target), t) for _, t in mapping]
    whole = any(e is not None and e.expected_connector_id == 0 for e in (*known, *reported))
    return Route(kind, source, mapping, whole, _phase(known, whole))


@lru_cache(maxsize=256)
def routes_for(
    specs: tuple[FaultSpec, ...], protocol: str, flavour: str, catalog: Catalog
) -> tuple[Route | None, ...]:
    """The routes of a scenario's faults for one kind of charger, shared by all such chargers
    (a fleet of thousands holds a handful of route tables, not one per charger)."""
    return tuple(route(spec, protocol, flavour, catalog) for spec in specs)


def equivalent(entry: CatalogEntry, target: str, catalog: Catalog) -> str | None:
    """The code in `target` the catalog names as the same fault (either direction)."""
    if entry.scheme == target:
        return entry.code
    prefix = f"{target}:"
    for ref in entry.equivalents:
        if ref.startswith(prefix):
            return ref[len(prefix):]
    for other in catalog.in_scheme(target):
        if entry.ref in other.equivalents:
            return other.code
    return None


def _reported_scheme(kind: str, source: str, target: str) -> str:
    return source if kind == "ocpp" else target


def _phase(entries: list[CatalogEntry], whole_charger: bool) -> str:
    instruments = {INSTRUMENT.get(e.code) for e in entries} - {None}
    if instruments & CHARGING_ONLY:
        return "charging"
    if instruments & IDLE_ONLY:
        return "idle"
    if whole_charger:
        return "no-session"  # EVgo A004: pressed "outside of an active charging session"
    if any(e.code in PLUG_IN_CODES for e in entries):
        return "plug-in"
    return "any"


def _translate(
    found: list[Condition], mapping: dict[str, str], route: Route, catalog: Catalog
) -> tuple[Condition, ...]:
    scheme = _reported_scheme(route.kind, route.source_scheme, CHARGEX if route.kind ==
                              "chargex" else EVGO)
    out: dict[str, Condition] = {}
    for condition in found:
        code = mapping.get(condition.code)
        if code is None or code in out:
            continue  # F000 and F001 both become CX023: report it once
        entry = catalog.get(scheme, code)
        measured = entry is not None and entry.measurement is not None
        out[code] = Condition(code, condition.reading if measured else None,
                              condition.output_voltage if measured else None)
    return tuple(out.values())
