"""A fleet scenario: a YAML file in, a validated frozen Scenario out.

    name: demo
    chargers: 50
    protocol: {"1.6": 4, "2.0.1": 1}      # weights, or "1.6", "2.0.1", "mixed"
    mrec: {evgo: 3, chargex: 2}           # which MREC scheme the 1.6 chargers speak
    connectors: [1, 2, 2]                 # drawn per charger
    faults:
      - codes: [F001, F003]               # trip together: one compound message
        per_hour: 2                       # per charger-hour
        duration: [10, 30]                # seconds it stays active

docs/simulator.md describes every key. Times are seconds; rates are per charger-hour (sessions:
per connector-hour).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evfault.errors import UserError
from evfault.sim.site import SiteScript, parse_site

PROTOCOLS = ("1.6", "2.0.1")
FLAVOURS = ("evgo", "chargex")
_MIXED = (("1.6", 1.0), ("2.0.1", 1.0))


class ScenarioError(UserError):
    """A scenario that cannot be run; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Span:
    """A duration drawn uniformly between two bounds (seconds)."""

    low: float
    high: float

    def draw(self, rng: random.Random) -> float:
        return self.low if self.low == self.high else rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A fault the fleet suffers: codes that trip together, how often and for how long."""

    codes: tuple[str, ...]
    per_hour: float
    duration: Span
    broken: str | None = None  # a deliberate breakage of the message (see sim/breakage.py)

    @property
    def label(self) -> str:
        return "+".join(self.codes)


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """Charging sessions: how often a car arrives at a free connector and each phase's length."""

    per_hour: float = 2.0
    plug_in: Span = Span(2, 5)  # Preparing, until the driver authorises
    charging: Span = Span(60, 600)
    suspended: Span = Span(5, 30)  # SuspendedEV: the car is full
    finishing: Span = Span(2, 10)  # Finishing, until the driver unplugs
    meter_interval: float = 60.0


@dataclass(frozen=True, slots=True)
class OutageSpec:
    """Reboots or dropped connections: how often, how long, and (reboots) whether faults stay."""

    per_hour: float
    downtime: Span
    fault_persists: float = 0.5  # chance an active fault is still there after a reboot


@dataclass(frozen=True, slots=True)
class ChargerModel:
    """What a charger says it is in its BootNotification."""

    vendor: str
    model: str
    firmware: str
    weight: float = 1.0


SIM_MODEL = ChargerModel("evfault", "SimCharger", "evfault-sim-1")

OPENING_KINDS = ("fault", "warning", "disconnect", "reboot", "charge")


@dataclass(frozen=True, slots=True)
class OpeningEvent:
    """One scripted moment of the opening act, played once on a charger able to show it.

    fault: a scenario fault (by its label, F001+F003) trips for `seconds`; warning: a plain
    OCPP 1.6 errorCode reported while charging (the session goes on) for `seconds`;
    disconnect: the connection drops for `seconds`; reboot: the charger restarts, down for
    `seconds`, and does not re-report its faults; charge: a car plugs in and charges for
    about `seconds` (the session's own steps may end it sooner). `same_charger_as` plays it
    on the charger an earlier event (by its position) was played on; `charger` on the fleet's
    charger of that number (1: the first). A fault's `resets` is how many restarts (a Reset
    from the central system, or any reboot) it survives: 0, the first clears it — the case of
    self-healing.
    """

    at: float
    kind: str
    seconds: float
    code: str = ""
    same_charger_as: int | None = None
    resets: int | None = None
    charger: int | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole fleet's script. Every choice in it is drawn from per-charger seeded generators."""

    name: str = "custom"
    chargers: int = 10
    prefix: str = "SIM-"
    protocols: tuple[tuple[str, float], ...] = (("1.6", 1.0),)
    mrec: tuple[tuple[str, float], ...] = (("evgo", 1.0), ("chargex", 1.0))
    connectors: tuple[int, ...] = (2,)
    heartbeat: float | None = None  # seconds; None: the interval the server returns; 0: none
    ramp: float = 100.0  # new connections per second across the fleet
    call_timeout: float = 30.0
    sessions: SessionSpec | None = SessionSpec()
    faults: tuple[FaultSpec, ...] = ()
    reboots: OutageSpec | None = None
    disconnects: OutageSpec | None = None
    models: tuple[ChargerModel, ...] = (SIM_MODEL,)
    opening: tuple[OpeningEvent, ...] = ()
    site: SiteScript | None = None  # a Modbus meter and EMS the scenario scripts (sim/site.py)

    def with_overrides(
        self, chargers: int | None = None, protocol: str | None = None, prefix: str | None = None
    ) -> Scenario:
        """A copy with the command line's choices (None keeps the scenario's)."""
        changed = self
        if chargers is not None:
            if chargers < 1:
                raise ScenarioError(f"--chargers must be at least 1, not {chargers}.")
            changed = replace(changed, chargers=chargers)
        if protocol is not None:
            changed = replace(changed, protocols=_protocol_choice(protocol, self.protocols))
        if prefix is not None:
            changed = replace(changed, prefix=prefix)
        return changed


def bundled() -> list[str]:
    """Names of the scenarios shipped with evfault (demo, load, …)."""
    folder = resources.files("evfault.sim") / "scenarios"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def load_scenario(source: str | Path) -> Scenario:
    """A scenario from a YAML file, or a bundled one by name ("demo")."""
    path = Path(source)
    if not path.exists() and str(source) in bundled():
        text = (resources.files("evfault.sim") / "scenarios" / f"{source}.yaml").read_text(
            encoding="utf-8")
        return parse_scenario(_yaml(text, str(source)), str(source))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            f"no scenario {source}: not a file, nor one of {', '.join(bundled())}."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario {source} ({exc}).") from None
    return parse_scenario(_yaml(text, path.name), path.name)


def parse_scenario(doc: Mapping[str, Any], origin: str = "scenario") -> Scenario:
    """Validate a scenario document; every mistake is a ScenarioError naming origin and key."""
    reader = _Reader(doc, origin)
    reader.only(_TOP_KEYS)
    base = Scenario()
    scenario = Scenario(
        name=reader.text("name", origin),
        chargers=reader.integer("chargers", base.chargers, minimum=1),
        prefix=reader.text("prefix", base.prefix),
        protocols=_protocols(reader),
        mrec=_weights(reader, "mrec", FLAVOURS, base.mrec),
        connectors=_connectors(reader),
        heartbeat=reader.optional_number("heartbeat"),
        ramp=reader.number("ramp", base.ramp, positive=True),
        call_timeout=reader.number("call_timeout", base.call_timeout, positive=True),
        sessions=_sessions(reader),
        faults=tuple(_fault(reader.child_at("faults", i)) for i in range(reader.length("faults"))),
        reboots=_outage(reader, "reboots"),
        disconnects=_outage(reader, "disconnects"),
        models=tuple(_model(reader.child_at("models", i))
                     for i in range(reader.length("models"))) or (SIM_MODEL,),
        opening=tuple(_opening(reader.child_at("opening", i), i)
                      for i in range(reader.length("opening"))),
        site=parse_site(doc.get("site"), origin),
    )
    from evfault.sim.faults import validate_fault  # the catalog is needed only here

    for index, fault in enumerate(scenario.faults):
        problem = validate_fault(fault)
        if problem:
            raise ScenarioError(f"{origin}: faults[{index}]: {problem}")
    labels = {f.label for f in scenario.faults}
    for index, event in enumerate(scenario.opening):
        if event.charger is not None and event.charger > scenario.chargers:
            raise ScenarioError(f"{origin}: opening[{index}]: charger {event.charger} is not "
                                f"in a fleet of {scenario.chargers}.")
        if event.kind == "fault" and event.code not in labels:
            raise ScenarioError(f"{origin}: opening[{index}]: fault {event.code} is not one of "
                                f"the scenario's faults ({', '.join(sorted(labels))}).")
    return scenario


_TOP_KEYS = ("name", "chargers", "prefix", "protocol", "mrec", "connectors", "heartbeat", "ramp",
             "call_timeout", "sessions", "faults", "reboots", "disconnects", "models", "opening",
             "site")
_SESSION_KEYS = ("per_hour", "plug_in", "charging", "suspended", "finishing", "meter_interval")
_FAULT_KEYS = ("codes", "per_hour", "duration", "broken")
_OUTAGE_KEYS = ("per_hour", "downtime", "fault_persists")
_MODEL_KEYS = ("vendor", "model", "firmware", "weight")
_OPENING_KEYS = ("at", "same_charger_as", "charger", *OPENING_KINDS)


def _protocol_choice(value: str, current: tuple[tuple[str, float], ...]) -> tuple[
    tuple[str, float], ...
]:
    if value in PROTOCOLS:
        return ((value, 1.0),)
    if value == "mixed":
        # The scenario's own mix where it has one; otherwise half and half.
        return current if len(current) > 1 else _MIXED
    raise ScenarioError(f"protocol must be 1.6, 2.0.1 or mixed, not {value!r}.")


def _protocols(reader: _Reader) -> tuple[tuple[str, float], ...]:
    raw = reader.raw("protocol")
    if raw is None:
        return Scenario().protocols
    if isinstance(raw, str | float | int) and not isinstance(raw, bool):
        try:
            return _protocol_choice(str(raw), ())
        except ScenarioError as exc:
            raise ScenarioError(f"{reader.origin}: {exc}") from None
    return _weights(reader, "protocol", PROTOCOLS, ())


def _weights(
    reader: _Reader, key: str, allowed: Sequence[str], default: tuple[tuple[str, float], ...]
) -> tuple[tuple[str, float], ...]:
    raw = reader.raw(key)
    if raw is None:
        return default
    if isinstance(raw, str) and raw in allowed:
        return ((raw, 1.0),)
    if not isinstance(raw, dict) or not raw:
        reader.fail(key, f"must be one of {', '.join(allowed)} or a mapping of them to weights")
    pairs = []
    for name, weight in raw.items():
        if str(name) not in allowed:
            reader.fail(key, f"{name!r} is not one of {', '.join(allowed)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            reader.fail(key, f"the weight of {name} must be a number ≥ 0")
        pairs.append((str(name), float(weight)))
    if sum(w for _, w in pairs) <= 0:
        reader.fail(key, "needs at least one weight above 0")
    return tuple(pairs)


def _connectors(reader: _Reader) -> tuple[int, ...]:
    raw = reader.raw("connectors")
    if raw is None:
        return Scenario().connectors
    values = raw if isinstance(raw, list) else [raw]
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 16
                         for v in values):
        reader.fail("connectors", "must be a number of connectors (1-16) or a list to draw from")
    return tuple(values)


def _sessions(reader: _Reader) -> SessionSpec | None:
    if reader.raw("sessions") is None and "sessions" in reader.doc:
        return None  # `sessions: null`: status notifications and faults only
    child = reader.child("sessions")
    if child is None:
        return SessionSpec()
    child.only(_SESSION_KEYS)
    base = SessionSpec()
    return SessionSpec(
        per_hour=child.number("per_hour", base.per_hour),
        plug_in=child.span("plug_in", base.plug_in),
        charging=child.span("charging", base.charging),
        suspended=child.span("suspended", base.suspended),
        finishing=child.span("finishing", base.finishing),
        meter_interval=child.number("meter_interval", base.meter_interval, positive=True),
    )


def _fault(reader: _Reader) -> FaultSpec:
    reader.only(_FAULT_KEYS)
    raw_codes = reader.raw("codes")
    codes = raw_codes if isinstance(raw_codes, list) else [raw_codes]
    if not codes or any(not isinstance(c, str) or not c.strip() for c in codes):
        reader.fail("codes", "must be a code or a list of codes (F001, CX002, GroundFailure)")
    broken = reader.raw("broken")
    if broken is not None and not isinstance(broken, str):
        reader.fail("broken", "must name a breakage (see docs/simulator.md)")
    return FaultSpec(
        codes=tuple(c.strip() for c in codes),
        per_hour=reader.number("per_hour", 1.0),
        duration=reader.span("duration", Span(30, 120)),
        broken=broken,
    )


def _outage(reader: _Reader, key: str) -> OutageSpec | None:
    child = reader.child(key)
    if child is None:
        return None
    child.only(_OUTAGE_KEYS)
    persists = child.number("fault_persists", 0.5)
    if persists > 1:
        child.fail("fault_persists", "is a probability between 0 and 1")
    return OutageSpec(
        per_hour=child.number("per_hour", 1.0),
        downtime=child.span("downtime", Span(2, 10)),
        fault_persists=persists,
    )


def _model(reader: _Reader) -> ChargerModel:
    reader.only(_MODEL_KEYS)
    texts = [reader.raw(k) for k in ("vendor", "model", "firmware")]
    if not all(isinstance(t, str | int | float) and str(t).strip() for t in texts):
        reader.fail("vendor", "model and firmware must all be given as text")
    vendor, model, firmware = (str(t).strip() for t in texts)
    for key, value, most in (("vendor", vendor, 20), ("model", model, 20),
                             ("firmware", firmware, 50)):
        if len(value) > most:  # OCPP's CiString20/50: a central system would refuse the boot
            reader.fail(key, f"must be at most {most} characters (OCPP), not {value!r}")
    return ChargerModel(vendor, model, firmware, reader.number("weight", 1.0))


def _opening(reader: _Reader, index: int) -> OpeningEvent:
    reader.only(_OPENING_KEYS)
    kinds = [k for k in OPENING_KINDS if k in reader.doc]
    if len(kinds) != 1:
        reader.fail("event", f"needs exactly one of {', '.join(OPENING_KINDS)}")
    kind = kinds[0]
    code, seconds, resets = "", 0.0, None
    if kind in ("fault", "warning"):
        child = reader.child(kind)
        if child is None:
            reader.fail(kind, "must be a mapping {code: …, seconds: …}")
        assert child is not None
        child.only(("code", "seconds", "resets") if kind == "fault" else ("code", "seconds"))
        code = child.text("code", "").strip()
        if not code:
            child.fail("code", "must name a code (a fault's label such as F001+F003)")
        seconds = child.number("seconds", 60.0, positive=True)
        if child.raw("resets") is not None:
            resets = child.integer("resets", 0)
    else:
        seconds = reader.number(kind, 30.0, positive=True)
    same = reader.raw("same_charger_as")
    if same is not None and (isinstance(same, bool) or not isinstance(same, int)
                             or not 0 <= same < index):
        reader.fail("same_charger_as", "must be the position of an earlier opening event")
    charger = reader.integer("charger", 1, minimum=1) if reader.raw("charger") is not None \
        else None
    if charger is not None and same is not None:
        reader.fail("charger", "and same_charger_as cannot both be given")
    return OpeningEvent(reader.number("at", 0.0), kind, seconds, code, same, resets, charger)


def _yaml(text: str, origin: str) -> Mapping[str, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{origin} is not valid YAML{where}.") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{origin} must be a mapping of keys (name, chargers, faults, …).")
    return doc


class _Reader:
    """Typed access to one mapping of the document, with errors that name the key."""

    def __init__(self, doc: Mapping[str, Any], origin: str) -> None:
        self.doc = doc
        self.origin = origin

    def fail(self, key: str, problem: str) -> Any:
        raise ScenarioError(f"{self.origin}: {key} {problem}.")

    def only(self, known: Sequence[str]) -> None:
        for key in self.doc:
            if key not in known:
                self.fail(str(key), f"is not a scenario key (known here: {', '.join(known)})")

    def raw(self, key: str) -> Any:
        return self.doc.get(key)

    def text(self, key: str, default: str) -> str:
        value = self.doc.get(key, default)
        return str(value) if value is not None else default

    def number(self, key: str, default: float, positive: bool = False) -> float:
        value = self.doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.fail(key, f"must be a number ≥ 0, not {value!r}")
        if positive and value == 0:
            self.fail(key, "must be above 0")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        return None if self.doc.get(key) is None else self.number(key, 0.0)

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"must be a whole number ≥ {minimum}, not {value!r}")
        return int(value)

    def span(self, key: str, default: Span) -> Span:
        value = self.doc.get(key)
        if value is None:
            return default
        pair = value if isinstance(value, list) else [value, value]
        if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0
                                 for v in pair) or pair[0] > pair[1]:
            self.fail(key, "must be seconds, or [low, high] seconds with low ≤ high")
        return Span(float(pair[0]), float(pair[1]))

    def child(self, key: str) -> _Reader | None:
        value = self.doc.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping")
        return _Reader(value, f"{self.origin}: {key}")

    def length(self, key: str) -> int:
        value = self.doc.get(key)
        if value is None:
            return 0
        if not isinstance(value, list):
            self.fail(key, "must be a list")
        return len(value)

    def child_at(self, key: str, index: int) -> _Reader:
        value = self.doc[key][index]
        if not isinstance(value, dict):
            self.fail(f"{key}[{index}]", "must be a mapping with codes, per_hour and duration")
        return _Reader(value, f"{self.origin}: {key}[{index}]")
