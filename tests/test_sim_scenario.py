"""Scenarios, sensor models and fault routes: the pure parts of the simulator."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evfault.catalog import default_catalog
from evfault.errors import UserError
from evfault.sim import FleetStats, build_fleet, charger_ids, load_scenario, parse_scenario
from evfault.sim.charger import OPENING
from evfault.sim.faults import route
from evfault.sim.mrec import build_status_notification
from evfault.sim.scenario import FaultSpec, ScenarioError, Span, bundled
from evfault.sim.sensors import HARDWARE_LIMIT, derive

CATALOG = default_catalog()
SENSOR_CODES = ["F000", "F001", "F002", "F003", "F006", "F007", "F009"]


def test_bundled_scenarios_load() -> None:
    assert {"demo", "load"} <= set(bundled())
    demo = load_scenario("demo")
    assert 40 <= demo.chargers <= 60
    assert {p for p, _ in demo.protocols} == {"1.6", "2.0.1"}
    assert demo.faults and demo.sessions is not None
    load = load_scenario("load")
    assert load.sessions is None and load.heartbeat == 0
    assert load.protocols == (("1.6", 1.0),)


def test_a_scenario_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("chargers: 3\nprotocol: mixed\nfaults:\n  - codes: [F001, F003]\n"
                    "    per_hour: 2\n    duration: [5, 10]\n    broken: mrec-threshold\n")
    scenario = load_scenario(path)
    assert scenario.name == "mine.yaml"
    assert scenario.chargers == 3
    assert scenario.protocols == (("1.6", 1.0), ("2.0.1", 1.0))
    assert scenario.faults == (FaultSpec(("F001", "F003"), 2.0, Span(5, 10), "mrec-threshold"),)


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"chargerz": 3}, "chargerz is not a scenario key"),
        ({"chargers": 0}, "chargers must be a whole number ≥ 1"),
        ({"protocol": "1.5"}, "protocol must be 1.6, 2.0.1 or mixed"),
        ({"mrec": {"tesla": 1}}, "'tesla' is not one of evgo, chargex"),
        ({"connectors": [0]}, "connectors must be"),
        ({"faults": [{"codes": ["F099"]}]}, "F099 is not a code evfault knows"),
        ({"faults": [{"codes": ["F001", "CX002"]}]}, "must come from one scheme"),
        ({"faults": [{"codes": ["NoError"]}]}, "is not an error a charger reports"),
        ({"faults": [{"codes": ["F001"], "broken": "everything"}]}, "broken must be one of"),
        ({"faults": [{"codes": ["F001"], "duration": [9, 3]}]}, "low ≤ high"),
        ({"faults": [{"codes": ["F001"], "per_hour": -1}]}, "per_hour must be a number ≥ 0"),
        ({"reboots": {"per_hour": 1, "fault_persists": 2}}, "is a probability"),
        ({"sessions": {"per_hour": 1, "lunch": 3}}, "lunch is not a scenario key"),
    ],
)
def test_scenario_mistakes_name_the_key(doc: dict[str, Any], says: str) -> None:
    with pytest.raises(ScenarioError, match=says) as caught:
        parse_scenario(doc, "mine.yaml")
    assert str(caught.value).startswith("mine.yaml")
    assert isinstance(caught.value, UserError)  # the CLI shows one sentence, no traceback


def test_missing_and_unreadable_scenarios(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a file, nor one of demo"):
        load_scenario(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("chargers: [1,\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(broken)


def test_overrides_from_the_command_line() -> None:
    demo = load_scenario("demo")
    assert demo.with_overrides(protocol="2.0.1").protocols == (("2.0.1", 1.0),)
    assert demo.with_overrides(protocol="mixed").protocols == demo.protocols
    only16 = parse_scenario({"protocol": "1.6"})
    assert {p for p, _ in only16.with_overrides(protocol="mixed").protocols} == {"1.6", "2.0.1"}
    assert demo.with_overrides(chargers=7, prefix="X-").chargers == 7
    with pytest.raises(ScenarioError):
        demo.with_overrides(chargers=0)


def test_charger_ids_are_padded_and_prefixed() -> None:
    assert charger_ids(parse_scenario({"chargers": 3, "prefix": "CP-"})) == [
        "CP-001", "CP-002", "CP-003"]
    assert charger_ids(parse_scenario({"chargers": 1200}))[-1] == "SIM-1200"


# -- sensor models ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", SENSOR_CODES)
def test_a_reading_past_its_threshold_trips_exactly_its_code(code: str) -> None:
    found = derive([code], "evgo-mrec", True, random.Random(1), CATALOG)
    assert [c.code for c in found] == [code]
    reading = found[0].reading
    assert reading is not None
    entry = CATALOG.get("evgo-mrec", code)
    assert entry is not None and entry.measurement is not None
    measurement = entry.measurement
    if measurement.threshold is None:  # F009: the hardware's own limit
        assert reading >= HARDWARE_LIMIT["cable_temp"]
    elif measurement.threshold_unit:  # F006: Ω per volt of output voltage
        assert found[0].output_voltage is not None
        assert reading < measurement.threshold * found[0].output_voltage
    else:
        assert measurement.consistent(reading) is True


def test_charging_only_codes_stay_silent_when_idle_and_f008_only_when_idle() -> None:
    rng = random.Random(2)
    assert derive(["F001", "F003"], "evgo-mrec", False, rng, CATALOG) == []
    assert [c.code for c in derive(["F008"], "evgo-mrec", False, rng, CATALOG)] == ["F008"]
    assert derive(["F008"], "evgo-mrec", True, rng, CATALOG) == []


def test_several_sensors_make_a_compound_and_a_cut_cable_beats_a_hot_one() -> None:
    rng = random.Random(3)
    assert [c.code for c in derive(["F003", "F001"], "evgo-mrec", True, rng, CATALOG)] == [
        "F001", "F003"]
    assert [c.code for c in derive(["F009", "F010"], "evgo-mrec", True, rng, CATALOG)] == [
        "F010"]
    assert [c.code for c in derive(["CX026", "CX019"], "chargex-mrec", True, rng, CATALOG)] == [
        "CX026"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), code=st.sampled_from([*SENSOR_CODES, "F008"]))
def test_every_derived_reading_is_one_the_encoder_accepts(seed: int, code: str) -> None:
    charging = code != "F008"
    found = derive([code], "evgo-mrec", charging, random.Random(seed), CATALOG)
    built = build_status_notification(found, connector_id=1, catalog=CATALOG)
    assert built["vendorErrorCode"] == code


# -- routes -----------------------------------------------------------------------------------

def _route(codes: list[str], protocol: str, flavour: str) -> Any:
    return route(FaultSpec(tuple(codes), 1.0, Span(1, 1)), protocol, flavour, CATALOG)


def test_each_charger_reports_in_its_own_scheme() -> None:
    evgo = _route(["F001", "F003"], "1.6", "evgo")
    assert (evgo.kind, evgo.mapping, evgo.phase) == (
        "evgo", (("F001", "F001"), ("F003", "F003")), "charging")
    chargex = _route(["F001", "F003"], "1.6", "chargex")
    assert (chargex.kind, chargex.mapping) == ("chargex", (("F001", "CX023"), ("F003", "CX014")))
    assert _route(["GroundFailure"], "1.6", "evgo").kind == "ocpp"
    assert _route(["GroundFailure"], "2.0.1", "evgo").mapping == (("GroundFailure", "CX002"),)
    assert _route(["A005"], "2.0.1", "chargex") is None  # no ChargeX twin: never happens there
    assert _route(["CX013"], "1.6", "evgo") is None


def test_phases_and_the_whole_charger() -> None:
    assert _route(["A004"], "1.6", "evgo").whole_charger
    assert _route(["A004"], "1.6", "evgo").phase == "no-session"
    assert _route(["A004"], "2.0.1", "chargex").mapping == (("A004", "CX008"),)
    assert _route(["F008"], "1.6", "evgo").phase == "idle"
    assert _route(["A000"], "1.6", "evgo").phase == "plug-in"
    assert _route(["F009"], "1.6", "evgo").phase == "any"


def test_translated_conditions_keep_readings_only_where_the_code_measures() -> None:
    rng = random.Random(4)
    hot = _route(["F009"], "1.6", "chargex").conditions(True, rng, CATALOG)
    assert [c.code for c in hot] == ["CX019"] and hot[0].reading is not None
    proximity = _route(["F000", "F001"], "1.6", "chargex").conditions(True, rng, CATALOG)
    assert [(c.code, c.reading) for c in proximity] == [("CX023", None)]


# -- determinism of the fleet's choices ------------------------------------------------------

def _choices(seed: int) -> list[tuple[str, str, int]]:
    scenario = load_scenario("demo")
    fleet = build_fleet("ws://127.0.0.1:1/ocpp", scenario, seed, FleetStats(), CATALOG)
    return [(c.protocol, c.flavour, len(c.connectors)) for c in fleet]


def test_same_seed_same_fleet_and_another_seed_another() -> None:
    assert _choices(5) == _choices(5)
    assert _choices(5) != _choices(6)


# ---- the opening act and the charger models ---------------------------------------------------


def test_the_demo_opening_goes_to_chargers_able_to_show_it() -> None:
    scenario = load_scenario("demo")
    fleet = build_fleet("ws://127.0.0.1:1/ocpp", scenario, 1, FleetStats())
    planned = {}
    for charger in fleet:
        for _at, _seq, kind, a, _b in charger._heap:
            if kind == OPENING:
                planned[a] = charger
    assert sorted(planned) == list(range(len(scenario.opening)))
    kinds = {event.kind: planned[i] for i, event in enumerate(scenario.opening)}
    assert kinds["warning"].protocol == "1.6"
    assert planned[3] is planned[0]  # the reboot hits the charger with the compound code
    assert len({c.model.vendor for c in fleet}) >= 5
    assert all(len(c.model.model) <= 20 for c in fleet)
    # Self-healing's faults: on 1.6 chargers with one connector (a reset stops no other car).
    healing = [planned[i] for i, e in enumerate(scenario.opening) if e.resets is not None]
    assert len(healing) == 2 and len(set(healing)) == 2
    assert all(c.protocol == "1.6" and len(c.connectors) == 2 for c in healing)
    # The site's chargers by number: the fleet's last three, one of them going offline.
    numbered = {i: planned[i].ident for i, e in enumerate(scenario.opening) if e.charger}
    assert set(numbered.values()) == {"DEMO-048", "DEMO-049", "DEMO-050"}
    assert any(scenario.opening[i].kind == "disconnect" for i in numbered)


async def test_a_scripted_fault_survives_as_many_restarts_as_it_says() -> None:
    from evfault.sim.scenario import OutageSpec
    from evfault.sim.state import ActiveFault

    scenario = parse_scenario({"name": "x", "chargers": 1, "connectors": [1]}, "x.yaml")
    [charger] = build_fleet("ws://127.0.0.1:1/ocpp", scenario, 1, FleetStats())
    connector = charger.connectors[1]
    healed = ActiveFault(1, "ocpp", (), resets=0)
    stubborn = ActiveFault(2, "ocpp", (), resets=2)
    by_chance = ActiveFault(3, "ocpp", ())
    connector.faults = [healed, stubborn, by_chance]
    always = OutageSpec(per_hour=0.0, downtime=Span(1, 1), fault_persists=1.0)
    await charger.reboot(always)  # the first restart: the reset that heals
    assert connector.faults == [stubborn, by_chance]
    await charger.reboot(OutageSpec(per_hour=0.0, downtime=Span(1, 1), fault_persists=0.0))
    assert connector.faults == [stubborn]  # chance cleared the other; this one has one left
    await charger.reboot(always)
    assert connector.faults == []


@pytest.mark.parametrize(("doc", "says"), [
    ({"opening": [{"at": 1, "fault": {"code": "F009", "seconds": 5}}]}, "is not one of"),
    ({"opening": [{"at": 1, "reboot": 5, "disconnect": 5}]}, "needs exactly one of"),
    ({"opening": [{"at": 1, "reboot": 5, "same_charger_as": 0}]}, "an earlier opening event"),
    ({"opening": [{"at": 1, "reboot": 5, "charger": 11}]}, "charger 11 is not in a fleet of 10"),
    ({"opening": [{"at": 1, "reboot": 5, "charger": 0}]}, "charger must be a whole number ≥ 1"),
    ({"opening": [{"at": 1, "reboot": 5}, {"at": 2, "reboot": 5, "charger": 1,
                                           "same_charger_as": 0}]}, "cannot both be given"),
    ({"opening": [{"at": 1, "fault": {"code": "F001", "resets": -1}}]}, "resets must be a whole"),
    ({"opening": [{"at": 1, "warning": {"code": "F001", "resets": 1}}]},
     "resets is not a scenario key"),
    ({"models": [{"vendor": "V", "model": "M" * 21, "firmware": "1"}]}, "at most 20 characters"),
    ({"models": [{"vendor": "V", "model": "M"}]}, "must all be given as text"),
])
def test_opening_and_model_mistakes_are_one_sentence(doc: dict[str, Any], says: str) -> None:
    with pytest.raises(UserError, match=says):
        parse_scenario({"name": "x", "faults": [{"codes": ["F001"]}], **doc}, "x.yaml")
