"""Sensor models: readings drift past their limits, and the codes follow from the readings.

A fault is simulated the way hardware meets it: an instrument (proximity circuit, control pilot,
isolation monitor, cable thermistors, …) is driven to a reading beyond the limit of the code it
watches, then every code of the scheme is evaluated against the readings with the catalog's
thresholds. The codes reported are the ones the readings trip — several at once make a compound
code, and two cable sensors both at full scale make a cut cable (F010) rather than an
over-temperature (F009).

Which instrument feeds which code, when it is watched and its resting value are properties of
the simulated hardware and live here; limits come from the catalog, except where the standard
leaves them to the hardware (F009: "the max temperature").
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import Measurement
from evfault.sim.mrec import Condition, decimals

# The instrument each code watches.
INSTRUMENT = {
    "F000": "proximity", "F001": "proximity",
    "F002": "pilot", "F003": "pilot",
    "F006": "isolation", "F007": "capacitance",
    "F008": "output",
    "F009": "cable_temp", "CX019": "cable_temp",
    "CX006": "vehicle_voltage",
}
CUT_CABLE_CODES = frozenset({"F010", "CX026"})  # both cable thermistors at full scale
# EVgo MREC: proximity, pilot and isolation codes count "during active charging" only; F008
# only "before charging begins, or after charging ends".
CHARGING_ONLY = frozenset({"proximity", "pilot", "isolation", "capacitance", "vehicle_voltage"})
IDLE_ONLY = frozenset({"output"})

OUTPUT_VOLTAGE = 400.0  # V, while charging; the isolation limit is per volt of it
REST = {
    "proximity": 1.50,  # VDC, plug latched
    "pilot": 6.00,  # VDC, state C (charging)
    "isolation": 500.0 * OUTPUT_VOLTAGE,  # Ω, a healthy 500 Ω/V
    "capacitance": 1.0,  # µF
    "output": 0.0,  # VDC on the idle connector
    "cable_temp": 35.0,  # °C
    "vehicle_voltage": OUTPUT_VOLTAGE,  # V
}
# Limits the standards leave to the hardware.
HARDWARE_LIMIT = {"cable_temp": 90.0, "vehicle_voltage": 150.0}
CABLE_SENSOR_FULL_SCALE = 150.0  # °C: what an open (cut) thermistor reads


@dataclass(slots=True)
class SensorBank:
    """The readings of one connector's instruments; two thermistors in the cable."""

    proximity: float = REST["proximity"]
    pilot: float = REST["pilot"]
    isolation: float = REST["isolation"]
    capacitance: float = REST["capacitance"]
    output: float = REST["output"]
    cable_a: float = REST["cable_temp"]
    cable_b: float = REST["cable_temp"]
    vehicle_voltage: float = REST["vehicle_voltage"]

    def reading(self, instrument: str) -> float:
        if instrument == "cable_temp":
            return max(self.cable_a, self.cable_b)
        value: float = getattr(self, instrument)
        return value

    def excite(self, code: str, rng: random.Random, catalog: Catalog, scheme: str) -> None:
        """Drive the instrument `code` watches to a reading that trips it."""
        if code in CUT_CABLE_CODES:
            self.cable_a = self.cable_b = CABLE_SENSOR_FULL_SCALE
            return
        instrument = INSTRUMENT.get(code)
        entry = catalog.get(scheme, code)
        if instrument is None or entry is None or entry.measurement is None:
            return
        value = beyond(entry.measurement, limit(instrument, entry.measurement), rng)
        if instrument == "cable_temp":
            self.cable_a = max(self.cable_a, value)  # one hot spot; the other reads normal
        else:
            setattr(self, instrument, value)

    def tripped(
        self, codes: Iterable[str], charging: bool, catalog: Catalog, scheme: str
    ) -> list[Condition]:
        """Every code of `codes` the current readings trip, with its reading."""
        cut = self.cable_a >= CABLE_SENSOR_FULL_SCALE and self.cable_b >= CABLE_SENSOR_FULL_SCALE
        found = []
        for code in codes:
            if code in CUT_CABLE_CODES:
                if cut:
                    found.append(Condition(code))
                continue
            instrument = INSTRUMENT.get(code)
            entry = catalog.get(scheme, code)
            if instrument is None or entry is None or entry.measurement is None:
                continue
            if cut and instrument == "cable_temp":
                continue  # a cut cable, not a hot one
            if not watched(instrument, charging):
                continue
            value = self.reading(instrument)
            if _trips(entry.measurement, limit(instrument, entry.measurement), value):
                found.append(_condition(code, entry.measurement, value, instrument))
        return found


def watched(instrument: str, charging: bool) -> bool:
    """Whether the instrument's codes count in this phase of the connector."""
    if instrument in CHARGING_ONLY:
        return charging
    if instrument in IDLE_ONLY:
        return not charging
    return True


def limit(instrument: str, measurement: Measurement) -> float:
    """The reading at which the code trips: the catalog's, scaled per volt where it says so,
    else the hardware's own."""
    if measurement.threshold is None:
        return HARDWARE_LIMIT[instrument]
    if measurement.threshold_unit:
        return measurement.threshold * OUTPUT_VOLTAGE
    return measurement.threshold


def beyond(measurement: Measurement, at: float, rng: random.Random) -> float:
    """A reading 5-35 % past the limit on the tripping side, to the limit's precision (a limit
    of 5 µF gives whole µF; 1.23 VDC gives hundredths), and never rounded back onto it."""
    places = decimals(at)
    below = (measurement.comparison or ">").startswith("<")
    sign = -1.0 if below else 1.0
    value = round(at + sign * abs(at) * rng.uniform(0.05, 0.35), places)
    if not _trips(measurement, at, value):
        value = round(at + sign * 10.0**-places, places)
    return max(value, 0.0)


def derive(
    codes: Sequence[str], scheme: str, charging: bool, rng: random.Random, catalog: Catalog
) -> list[Condition]:
    """The conditions a fault on `codes` shows: sensor codes from readings, the rest as events.

    Sensor codes are evaluated across every sensor code of the scheme, so the readings decide
    what is reported (excite F009 and F010 together and only F010 comes out).
    """
    bank = SensorBank()
    for code in codes:
        bank.excite(code, rng, catalog, scheme)
    candidates = sorted(c for c in (*INSTRUMENT, *CUT_CABLE_CODES) if catalog.get(scheme, c))
    sensed = bank.tripped(candidates, charging, catalog, scheme)
    events = [Condition(c) for c in codes if c not in INSTRUMENT and c not in CUT_CABLE_CODES]
    return sorted(sensed + events, key=lambda c: c.code)


def _trips(measurement: Measurement, at: float, value: float) -> bool:
    comparison = measurement.comparison or ">="
    return Measurement(measurement.quantity, measurement.unit, at, comparison).consistent(value) \
        is True


def _condition(code: str, measurement: Measurement, value: float, instrument: str) -> Condition:
    voltage = OUTPUT_VOLTAGE if measurement.threshold_unit else None
    return Condition(code, value, voltage)
