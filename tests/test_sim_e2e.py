"""The simulator end to end: virtual chargers against a central system written with the `ocpp`
package (which validates every message against the OCPP JSON schemas), on 127.0.0.1 port 0."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from evfault.catalog import default_catalog
from evfault.conformance import check_lines
from evfault.sim import FleetStats, Scenario, load_scenario, parse_scenario, run_fleet
from test_sim_csms import CentralSystem, central_system, wait_for

CATALOG = default_catalog()
FAST_SESSIONS = {"per_hour": 0, "plug_in": 0.05, "charging": 0.2, "suspended": 0.05,
                 "finishing": 0.05, "meter_interval": 0.05}
QUICK_REBOOT = {"per_hour": 0, "downtime": 0.1}  # reboots only when the server resets


def scenario(**doc: Any) -> Scenario:
    """One quiet charger unless told otherwise: no sessions, no heartbeats, instant ramp."""
    base: dict[str, Any] = {"chargers": 1, "protocol": "1.6", "mrec": "evgo", "connectors": 1,
                            "heartbeat": 0, "ramp": 1000, "call_timeout": 60,
                            "sessions": FAST_SESSIONS}
    base.update(doc)
    return parse_scenario(base, "test")


def fault(codes: list[str], duration: float = 0.2, per_hour: float = 36_000, **more: Any
          ) -> dict[str, Any]:
    return {"codes": codes, "per_hour": per_hour, "duration": duration, **more}


async def run_until(
    cs: CentralSystem, plan: Scenario, done: Callable[[], bool], seed: int = 1,
    within: float = 90.0,
) -> FleetStats:
    """Run the fleet until `done()` holds, then stop it; fail if that takes over `within` s."""
    stats = FleetStats()
    stop = asyncio.Event()
    task = asyncio.create_task(run_fleet(cs.url, plan, seed, stop, stats=stats))
    try:
        await wait_for(lambda: done() or task.done(), within)
    finally:
        stop.set()
        await task
    assert done(), "the fleet stopped before the expected messages arrived"
    return stats


def statuses(cs: CentralSystem, charger: str = "SIM-001") -> list[dict[str, Any]]:
    return cs.calls(charger, "StatusNotification")


def with_code(cs: CentralSystem, code: str, charger: str = "SIM-001") -> list[dict[str, Any]]:
    return [p for p in statuses(cs, charger) if p.get("vendorErrorCode") == code
            and "resolved" not in p.get("info", "")]


# -- boot, statuses, heartbeats --------------------------------------------------------------

async def test_boot_then_a_status_for_connector_zero_and_every_connector() -> None:
    async with central_system() as cs:
        await run_until(cs, scenario(connectors=2), lambda: len(cs.actions("SIM-001")) >= 4)
        assert cs.actions("SIM-001")[:4] == ["BootNotification"] + ["StatusNotification"] * 3
        boot = cs.calls("SIM-001", "BootNotification")[0]
        assert boot["chargePointVendor"] and boot["chargePointModel"]
        first = statuses(cs)[:3]
        assert [s["connectorId"] for s in first] == [0, 1, 2]
        assert all(s["errorCode"] == "NoError" and s["status"] == "Available" for s in first)
        assert all(s["timestamp"].endswith("Z") for s in first)


async def test_heartbeats_at_the_interval_the_server_returns() -> None:
    async with central_system(interval=1) as cs:
        plan = scenario(heartbeat=None)
        await run_until(cs, plan, lambda: cs.actions("SIM-001").count("Heartbeat") >= 2)
        boot = cs.arrival("SIM-001", "BootNotification")
        first, second = cs.arrival("SIM-001", "Heartbeat"), cs.arrival("SIM-001", "Heartbeat", 1)
        # Paced by the 1 s the server returned: two of them well within 20 s. No lower bound
        # and no tight upper one: the simulator keeps a fixed timeline, so after a slow boot a
        # heartbeat comes early, and a busy machine stretches any gap.
        assert boot < first < second
        assert second - boot < 20


async def test_201_boot_and_one_status_per_evse() -> None:
    async with central_system() as cs:
        await run_until(cs, scenario(protocol="2.0.1", connectors=2),
                        lambda: len(cs.actions("SIM-001")) >= 3)
        assert cs.calls("SIM-001", "BootNotification")[0]["reason"] == "PowerUp"
        first = statuses(cs)[:2]
        assert [(s["evseId"], s["connectorId"], s["connectorStatus"]) for s in first] == [
            (1, 1, "Available"), (2, 1, "Available")]


async def test_a_charging_session_cycles_through_its_statuses() -> None:
    async with central_system() as cs:
        plan = scenario(sessions={**FAST_SESSIONS, "per_hour": 36_000})
        await run_until(cs, plan, lambda: "StopTransaction" in cs.actions("SIM-001")
                        and statuses(cs)[-1]["status"] == "Available")
        actions = cs.actions("SIM-001")
        assert actions.index("Authorize") < actions.index("StartTransaction") < \
            actions.index("StopTransaction")
        assert "MeterValues" in actions
        cycle = [s["status"] for s in statuses(cs)[2:7]]
        assert cycle == ["Preparing", "Charging", "SuspendedEV", "Finishing", "Available"]
        stop = cs.calls("SIM-001", "StopTransaction")[0]
        assert stop["reason"] == "EVDisconnected"
        assert stop["meterStop"] >= cs.calls("SIM-001", "StartTransaction")[0]["meterStart"]


async def test_a_201_session_is_told_with_transaction_events() -> None:
    async with central_system() as cs:
        plan = scenario(protocol="2.0.1", sessions={**FAST_SESSIONS, "per_hour": 36_000})
        await run_until(cs, plan, lambda: any(
            e["eventType"] == "Ended" for e in cs.calls("SIM-001", "TransactionEvent")))
        events = cs.calls("SIM-001", "TransactionEvent")
        assert events[0]["eventType"] == "Started"
        assert [e["seqNo"] for e in events] == list(range(len(events)))
        assert len({e["transactionInfo"]["transactionId"] for e in events}) == 1
        states = [e["transactionInfo"].get("chargingState") for e in events]
        assert "Charging" in states and "SuspendedEV" in states


# -- faults the way hardware reports them -----------------------------------------------------

@pytest.mark.parametrize("code", ["F000", "F001", "F002", "F003", "F007", "F008"])
async def test_a_sensor_past_its_threshold_reports_its_code_reading_and_status(code: str) -> None:
    entry = CATALOG.get("evgo-mrec", code)
    assert entry is not None and entry.measurement is not None
    async with central_system() as cs:
        plan = scenario(faults=[fault([code])])
        await run_until(cs, plan, lambda: bool(with_code(cs, code)))
        report = with_code(cs, code)[0]
        assert report["errorCode"] == "OtherError"
        assert report["vendorId"] == "com.evgo.mrec"
        assert report["status"] == entry.expected_status
        assert report["connectorId"] == 1
        assert entry.measurement.consistent(float(report["info"])) is True


async def test_charging_codes_end_the_session_and_clear_with_no_error() -> None:
    async with central_system() as cs:
        plan = scenario(faults=[fault(["F001"])])
        await run_until(cs, plan, lambda: bool(with_code(cs, "F001")) and
                        statuses(cs)[-1]["errorCode"] == "NoError")
        actions = cs.actions("SIM-001")
        raised = next(i for i, f in enumerate(cs.frames["SIM-001"])
                      if f[0] == 2 and f[3].get("vendorErrorCode") == "F001")
        assert actions.count("StartTransaction") >= 1
        assert "StopTransaction" in [f[2] for f in cs.frames["SIM-001"][raised:] if f[0] == 2]
        cleared = statuses(cs)[-1]
        assert (cleared["connectorId"], cleared["status"]) == (1, "Available")


async def test_codes_that_trip_together_make_one_compound_message() -> None:
    async with central_system() as cs:
        plan = scenario(faults=[fault(["F001", "F003"])])
        await run_until(cs, plan, lambda: bool(with_code(cs, "F001,F003")))
        report = with_code(cs, "F001,F003")[0]
        proximity, pilot = (float(v) for v in report["info"].split(","))
        assert proximity < 1.23 and pilot < 5.47
        assert report["status"] == "Finishing"


async def test_a_cut_cable_reports_f010_not_f009() -> None:
    async with central_system() as cs:
        plan = scenario(faults=[fault(["F009", "F010"])])
        await run_until(cs, plan, lambda: bool(with_code(cs, "F010")))
        assert not with_code(cs, "F009") and not with_code(cs, "F009,F010")
        assert with_code(cs, "F010")[0]["info"] == ""


async def test_emergency_stop_is_reported_on_connector_zero() -> None:
    async with central_system() as cs:
        # Rare enough that the emergency stop is released before it trips again, so "the
        # latest status is NoError" holds for a while rather than for an instant between polls.
        plan = scenario(connectors=2, faults=[fault(["A004"], per_hour=3_600)])
        await run_until(cs, plan, lambda: bool(with_code(cs, "A004")) and
                        statuses(cs)[-1]["errorCode"] == "NoError", within=120)
        report = with_code(cs, "A004")[0]
        assert (report["connectorId"], report["status"]) == (0, "Faulted")
        assert statuses(cs)[-1]["connectorId"] == 0


async def test_chargex_16_raises_each_code_and_resolves_them_one_at_a_time() -> None:
    async with central_system() as cs:
        # Rare enough (every 5 s or so) that "the latest status is NoError" holds for seconds,
        # not for an instant a busy machine's polling can miss.
        plan = scenario(mrec="chargex", faults=[fault(["CX002", "CX006"], duration=0.3,
                                                      per_hour=720)])
        await run_until(cs, plan, lambda: any("CX006 resolved" in s.get("info", "")
                                              for s in statuses(cs)) and
                        statuses(cs)[-1]["errorCode"] == "NoError")
        # CX006 (undervoltage to the car) happens while charging: skip the session's statuses.
        sent = [(s["errorCode"], s.get("vendorErrorCode"), s.get("info"), s["status"])
                for s in statuses(cs)[2:] if s["status"] not in ("Preparing", "Charging")]
        assert sent[0][:2] == ("GroundFailure", "CX002")
        assert sent[1][:2] == ("UnderVoltage", "CX006")
        assert float(str(sent[1][2])) < 150  # the undervoltage reading
        assert sent[2][1:] == ("CX002", "Error CX002 resolved", "Faulted")  # CX006 still active
        assert sent[3][1:] == ("CX006", "Error CX006 resolved", "Available")
        assert sent[4] == ("NoError", None, None, "Available")


async def test_201_faults_are_notify_events_raised_then_cleared() -> None:
    async with central_system() as cs:
        plan = scenario(protocol="2.0.1", faults=[fault(["CX002"])])
        await run_until(cs, plan, lambda: any(
            e["eventData"][0]["cleared"] for e in cs.calls("SIM-001", "NotifyEvent")))
        raised, cleared = cs.calls("SIM-001", "NotifyEvent")[:2]
        assert raised["eventData"][0]["techCode"] == "CX002"
        assert raised["eventData"][0]["cleared"] is False
        assert cleared["eventData"][0]["techCode"] == "CX002"
        assert [s["connectorStatus"] for s in statuses(cs)[1:3]] == ["Faulted", "Available"]


async def test_201_chargers_report_evgo_faults_as_their_chargex_twins() -> None:
    async with central_system() as cs:
        plan = scenario(protocol="2.0.1", faults=[fault(["F009"])])
        await run_until(cs, plan, lambda: bool(cs.calls("SIM-001", "NotifyEvent")))
        event = cs.calls("SIM-001", "NotifyEvent")[0]["eventData"][0]
        assert event["techCode"] == "CX019"
        assert float(event["actualValue"]) >= 90  # the cable temperature


async def test_201_plug_in_faults_close_the_transaction_they_opened() -> None:
    async with central_system() as cs:
        plan = scenario(protocol="2.0.1", faults=[fault(["A000"])])  # → CX009 on 2.0.1
        await run_until(cs, plan, lambda: any(
            e["eventType"] == "Ended" for e in cs.calls("SIM-001", "TransactionEvent")))
        events = cs.calls("SIM-001", "TransactionEvent")
        assert [e["eventType"] for e in events[:2]] == ["Started", "Ended"]
        assert events[1]["transactionInfo"]["stoppedReason"] == "Other"
        assert cs.calls("SIM-001", "NotifyEvent")[0]["eventData"][0]["techCode"] == "CX009"


async def test_plain_ocpp_errors_then_no_error() -> None:
    async with central_system() as cs:
        plan = scenario(faults=[fault(["GroundFailure"])])
        await run_until(cs, plan, lambda: any(s["errorCode"] == "GroundFailure"
                                              for s in statuses(cs)) and
                        statuses(cs)[-1]["errorCode"] == "NoError")
        report = next(s for s in statuses(cs) if s["errorCode"] == "GroundFailure")
        assert report["status"] == "Faulted" and "vendorErrorCode" not in report


# -- determinism -----------------------------------------------------------------------------

def _normalised(frames: list[list[Any]]) -> list[str]:
    """A charger's messages without what may differ between runs: ids, times, server tx ids."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if k not in ("timestamp", "generatedAt", "transactionId")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return [json.dumps([f[0], f[2], strip(f[3])]) for f in frames if f[0] == 2]


async def _record(seed: int) -> dict[str, list[str]]:
    plan = scenario(chargers=3, protocol="mixed", mrec={"evgo": 1, "chargex": 1}, connectors=2,
                    heartbeat=0.3, sessions={**FAST_SESSIONS, "per_hour": 7200},
                    faults=[fault(["F001", "F003"], per_hour=3600),
                            fault(["F009"], per_hour=3600), fault(["CX002"], per_hour=3600)])
    async with central_system() as cs:
        await run_until(cs, plan, lambda: all(len(cs.frames[f"SIM-00{n}"]) >= 30
                                              for n in (1, 2, 3)), seed=seed, within=120)
        return {cid: _normalised(frames) for cid, frames in cs.frames.items()}


async def test_same_seed_same_messages_per_charger() -> None:
    first, second, other = await _record(7), await _record(7), await _record(8)
    for charger in first:
        common = min(len(first[charger]), len(second[charger]))
        assert common >= 25
        assert first[charger][:common] == second[charger][:common]
    assert any(first[c][:25] != other[c][:25] for c in first)


# -- answers to the central system -------------------------------------------------------------

async def test_16_answers_reset_trigger_availability_and_refuses_the_unknown() -> None:
    async with central_system() as cs:
        stop = asyncio.Event()
        plan = scenario(connectors=2, reboots=QUICK_REBOOT)
        task = asyncio.create_task(run_fleet(cs.url, plan, 1, stop))
        try:
            await wait_for(lambda: len(statuses(cs)) >= 3)
            point = cs.points["SIM-001"]
            trigger = await point.call(call16.TriggerMessage(
                requested_message="StatusNotification", connector_id=2))
            assert trigger.status == "Accepted"
            await wait_for(lambda: len(statuses(cs)) >= 4)
            assert statuses(cs)[3]["connectorId"] == 2
            change = await point.call(call16.ChangeAvailability(connector_id=1,
                                                                type="Inoperative"))
            assert change.status == "Accepted"
            await wait_for(lambda: statuses(cs)[-1]["status"] == "Unavailable")
            with pytest.raises(OcppNotImplemented):
                await point.call(call16.GetLocalListVersion(), suppress=False)
            changed = await point.call(call16.ChangeConfiguration(key="HeartbeatInterval",
                                                                  value="45"))
            unknown = await point.call(call16.ChangeConfiguration(key="Colour", value="red"))
            assert (changed.status, unknown.status) == ("Accepted", "NotSupported")
            config = await point.call(call16.GetConfiguration(key=["HeartbeatInterval", "X"]))
            assert config.configuration_key == [
                {"key": "HeartbeatInterval", "readonly": False, "value": "45"}]
            assert config.unknown_key == ["X"]
            reset = await point.call(call16.Reset(type="Soft"))
            assert reset.status == "Accepted"
            await wait_for(lambda: cs.actions("SIM-001").count("BootNotification") == 2)
        finally:
            stop.set()
            await task


async def test_201_answers_reset_and_refuses_the_unknown() -> None:
    async with central_system() as cs:
        stop = asyncio.Event()
        plan = scenario(protocol="2.0.1", reboots=QUICK_REBOOT)
        task = asyncio.create_task(run_fleet(cs.url, plan, 1, stop))
        try:
            await wait_for(lambda: len(statuses(cs)) >= 1)
            point = cs.points["SIM-001"]
            with pytest.raises(OcppNotImplemented):
                await point.call(call201.GetLocalListVersion(), suppress=False)
            heartbeat = {"component": {"name": "OCPPCommCtrlr"},
                         "variable": {"name": "HeartbeatInterval"}}
            changed = await point.call(call201.SetVariables(
                set_variable_data=[{**heartbeat, "attribute_value": "45"}]))
            assert changed.set_variable_result[0]["attribute_status"] == "Accepted"
            read = await point.call(call201.GetVariables(get_variable_data=[heartbeat]))
            assert read.get_variable_result[0]["attribute_value"] == "45"
            reset = await point.call(call201.Reset(type="Immediate"))
            assert reset.status == "Accepted"
            await wait_for(lambda: cs.actions("SIM-001").count("BootNotification") == 2)
            assert cs.calls("SIM-001", "BootNotification")[1]["reason"] == "RemoteReset"
        finally:
            stop.set()
            await task


@pytest.mark.parametrize(("persists", "after"), [(1.0, "A003"), (0.0, None)])
async def test_after_a_reboot_the_fault_persists_or_not(persists: float, after: str | None
                                                        ) -> None:
    async with central_system() as cs:
        plan = scenario(faults=[fault(["A003"], duration=30, per_hour=36_000)],
                        reboots={"per_hour": 0, "downtime": 0.1, "fault_persists": persists})
        stop = asyncio.Event()
        task = asyncio.create_task(run_fleet(cs.url, plan, 1, stop))
        try:
            await wait_for(lambda: bool(with_code(cs, "A003")))
            await cs.points["SIM-001"].call(call16.Reset(type="Hard"))
            await wait_for(lambda: len(cs.by_connection["SIM-001"]) == 2 and
                           len(cs.by_connection["SIM-001"][1]) >= 3)
        finally:
            stop.set()
            await task
        second = cs.by_connection["SIM-001"][1]
        assert second[0][2] == "BootNotification"
        connector1 = next(f[3] for f in second if f[0] == 2 and f[2] == "StatusNotification"
                          and f[3]["connectorId"] == 1)
        assert connector1.get("vendorErrorCode") == after
        assert connector1["status"] == ("Faulted" if after else "Available")


async def test_a_dropped_connection_comes_back_without_a_new_boot() -> None:
    async with central_system() as cs:
        plan = scenario(disconnects={"per_hour": 36_000, "downtime": 0.1})
        stats = await run_until(cs, plan, lambda: len(cs.by_connection["SIM-001"]) >= 2 and
                                len(cs.by_connection["SIM-001"][1]) >= 2)
        again = cs.by_connection["SIM-001"][1]
        assert [f[2] for f in again[:2]] == ["StatusNotification"] * 2
        assert stats.disconnects >= 1 and stats.connects >= 2


# -- the fleet as a load generator --------------------------------------------------------------

async def test_fleet_stats_count_every_call_and_its_latency() -> None:
    async with central_system() as cs:
        plan = scenario(chargers=5, faults=[fault(["F009"], duration=0.05)])
        stats = await run_until(cs, plan, lambda: sum(len(v) for v in cs.frames.values()) >= 60)
    received = sum(1 for frames in cs.frames.values() for f in frames if f[0] == 2)
    assert stats.sent == stats.answered + stats.errors
    assert stats.answered <= received <= stats.sent
    assert stats.chargers == 5 and stats.connects == 5 and stats.connected == 0
    assert stats.latencies and stats.percentile(99) is not None
    assert stats.snapshot()["by_action"]["BootNotification"] == 5  # type: ignore[index]


async def test_the_load_scenario_sends_status_notifications_only() -> None:
    async with central_system() as cs:
        plan = load_scenario("load").with_overrides(chargers=20)
        def faults_seen() -> int:
            return sum(1 for c in list(cs.frames) for p in statuses(cs, c)
                       if p["errorCode"] != "NoError")

        await run_until(cs, plan, lambda: faults_seen() >= 5, within=120)
        actions = {a for charger in cs.frames for a in cs.actions(charger)}
        assert actions == {"BootNotification", "StatusNotification"}


async def test_many_chargers_connect_along_the_ramp() -> None:
    async with central_system() as cs:
        plan = scenario(chargers=200, ramp=400)
        await run_until(cs, plan, lambda: len(cs.frames) == 200 and all(
            len(f) >= 2 for f in cs.frames.values()), within=120)
        boots = [cs.arrival(c, "BootNotification") for c in cs.frames]
        assert max(boots) - min(boots) >= 0.3  # 200 chargers at 400/s: spread over ~0.5 s


# -- the simulator and the checker agree ---------------------------------------------------------

async def test_everything_the_simulator_sends_passes_the_checker() -> None:
    async with central_system() as cs:
        plan = scenario(chargers=6, protocol="mixed", mrec={"evgo": 1, "chargex": 1},
                        connectors=2, heartbeat=0.2, sessions={**FAST_SESSIONS, "per_hour": 7200},
                        faults=[fault(c, per_hour=3600) for c in
                                (["F001", "F003"], ["F006"], ["F008"], ["F009"], ["A004"],
                                 ["A000"], ["CX006"], ["CX019"], ["GroundFailure"])])
        await run_until(cs, plan, lambda: sum(len(v) for v in cs.frames.values()) >= 300,
                        within=120)
        report = check_lines(enumerate(cs.all_lines(), start=1))
    assert report.messages >= 300
    assert report.problems == ()


@pytest.mark.parametrize(
    ("codes", "breakage"),
    [(["F001"], "timestamp-format"), (["F001"], "mrec-timestamp"), (["F001"], "mrec-vendor-id"),
     (["F001"], "mrec-status"), (["F004"], "mrec-error-code"), (["F001"], "mrec-threshold"),
     (["F001", "F003"], "mrec-info-pairing")],
)
async def test_a_scenario_can_ask_for_a_broken_message_and_the_checker_finds_it(
    codes: list[str], breakage: str
) -> None:
    async with central_system() as cs:
        plan = scenario(faults=[fault(codes, broken=breakage)])
        code = ",".join(codes)
        await run_until(cs, plan, lambda: any(code in str(s.get("vendorErrorCode"))
                                              for s in statuses(cs)))
        report = check_lines(enumerate(cs.all_lines(), start=1))
    assert {f.rule for f in report.problems} == {breakage}
