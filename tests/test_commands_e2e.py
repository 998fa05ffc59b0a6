"""Commands end to end: a real server on port 0, the `ocpp` package's ChargePoints answering.

Every command of the vocabulary round-trips on both OCPP versions with the charger's own answer;
a charger that does not answer in time is reported as a timeout; a command whose payload breaks
the version's schema never reaches the charger; every one of them is in the history.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chargers import boot16, boot201
from evfault.commands.model import CommandStatus
from obedient import obedient

pytestmark = pytest.mark.slow

PROFILE_16 = {"chargingProfileId": 1, "stackLevel": 0,
              "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
              "chargingSchedule": {"chargingRateUnit": "A",
                                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}
PROFILE_201 = {"id": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Absolute",
               "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
                                     "chargingSchedulePeriod": [{"startPeriod": 0,
                                                                 "limit": 16}]}]}

# command, args, the action the charger received, what it was handed, our status, its answer
CASES_16: list[tuple[str, dict[str, Any], str, dict[str, Any], CommandStatus, Any]] = [
    ("reset", {"type": "hard"}, "Reset", {"type": "Hard"}, CommandStatus.ACCEPTED,
     {"status": "Accepted"}),
    ("trigger_message", {"message": "Heartbeat"}, "TriggerMessage",
     {"requested_message": "Heartbeat"}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
    ("trigger_message", {"message": "StatusNotification", "connector_id": 2}, "TriggerMessage",
     {"requested_message": "StatusNotification", "connector_id": 2}, CommandStatus.ACCEPTED,
     {"status": "Accepted"}),
    ("unlock_connector", {"connector_id": 1}, "UnlockConnector", {"connector_id": 1},
     CommandStatus.ACCEPTED, {"status": "Unlocked"}),
    ("change_availability", {"available": False, "connector_id": 2}, "ChangeAvailability",
     {"connector_id": 2, "type": "Inoperative"}, CommandStatus.SCHEDULED,
     {"status": "Scheduled"}),
    ("remote_start", {"id_tag": "TAG-1", "connector_id": 1}, "RemoteStartTransaction",
     {"id_tag": "TAG-1", "connector_id": 1}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
    ("remote_stop", {"transaction_id": 42}, "RemoteStopTransaction", {"transaction_id": 42},
     CommandStatus.REJECTED, {"status": "Rejected"}),
    ("get_configuration", {"keys": ["HeartbeatInterval", "Nope"]}, "GetConfiguration",
     {"key": ["HeartbeatInterval", "Nope"]}, CommandStatus.ACCEPTED,
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}],
      "unknownKey": ["Nope"]}),
    ("change_configuration", {"key": "HeartbeatInterval", "value": 120}, "ChangeConfiguration",
     {"key": "HeartbeatInterval", "value": "120"}, CommandStatus.SCHEDULED,
     {"status": "RebootRequired"}),
    ("get_diagnostics", {"location": "ftp://logs.example.com/up"}, "GetDiagnostics",
     {"location": "ftp://logs.example.com/up"}, CommandStatus.ACCEPTED,
     {"fileName": "diag-16.zip"}),
    ("clear_cache", {}, "ClearCache", {}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
    ("data_transfer", {"vendor_id": "com.acme", "data": "ping"}, "DataTransfer",
     {"vendor_id": "com.acme", "data": "ping"}, CommandStatus.ACCEPTED,
     {"status": "Accepted", "data": "pong-16"}),
    ("set_charging_profile", {"connector_id": 1, "profile": PROFILE_16}, "SetChargingProfile",
     {"connector_id": 1}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
]

CASES_201: list[tuple[str, dict[str, Any], str, dict[str, Any], CommandStatus, Any]] = [
    ("reset", {"type": "soft"}, "Reset", {"type": "OnIdle"}, CommandStatus.SCHEDULED,
     {"status": "Scheduled"}),
    ("reset", {"type": "hard"}, "Reset", {"type": "Immediate"}, CommandStatus.SCHEDULED,
     {"status": "Scheduled"}),
    ("trigger_message", {"message": "DiagnosticsStatusNotification"}, "TriggerMessage",
     {"requested_message": "LogStatusNotification"}, CommandStatus.ACCEPTED,
     {"status": "Accepted"}),
    ("trigger_message", {"message": "StatusNotification", "connector_id": 1}, "TriggerMessage",
     {"requested_message": "StatusNotification", "evse": {"id": 1}}, CommandStatus.ACCEPTED,
     {"status": "Accepted"}),
    ("unlock_connector", {"connector_id": 2}, "UnlockConnector",
     {"evse_id": 2, "connector_id": 1}, CommandStatus.FAILED, {"status": "UnlockFailed"}),
    ("change_availability", {"available": True}, "ChangeAvailability",
     {"operational_status": "Operative"}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
    ("remote_start", {"id_tag": "TAG-2", "connector_id": 1}, "RequestStartTransaction",
     {"id_token": {"id_token": "TAG-2", "type": "ISO14443"}, "evse_id": 1},
     CommandStatus.ACCEPTED, {"status": "Accepted", "transactionId": "tx-201"}),
    ("remote_stop", {"transaction_id": "tx-201"}, "RequestStopTransaction",
     {"transaction_id": "tx-201"}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
    ("get_configuration", {"keys": ["OCPPCommCtrlr.HeartbeatInterval"]}, "GetVariables",
     {"get_variable_data": [{"component": {"name": "OCPPCommCtrlr"},
                             "variable": {"name": "HeartbeatInterval"}}]},
     CommandStatus.ACCEPTED,
     {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "60",
                             "component": {"name": "OCPPCommCtrlr"},
                             "variable": {"name": "HeartbeatInterval"}}]}),
    ("change_configuration", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "90"},
     "SetVariables",
     {"set_variable_data": [{"attribute_value": "90", "component": {"name": "OCPPCommCtrlr"},
                             "variable": {"name": "HeartbeatInterval"}}]},
     CommandStatus.ACCEPTED,
     {"setVariableResult": [{"attributeStatus": "RebootRequired",
                             "component": {"name": "OCPPCommCtrlr"},
                             "variable": {"name": "HeartbeatInterval"}}]}),
    ("get_diagnostics", {"location": "https://logs.example.com/up"}, "GetLog",
     {"log_type": "DiagnosticsLog", "log": {"remote_location": "https://logs.example.com/up"}},
     CommandStatus.ACCEPTED, {"status": "Accepted", "filename": "log-201.zip"}),
    ("clear_cache", {}, "ClearCache", {}, CommandStatus.REJECTED, {"status": "Rejected"}),
    ("data_transfer", {"vendor_id": "com.acme"}, "DataTransfer", {"vendor_id": "com.acme"},
     CommandStatus.NOT_SUPPORTED, {"status": "UnknownVendorId"}),
    ("set_charging_profile", {"connector_id": 1, "profile": PROFILE_201}, "SetChargingProfile",
     {"evse_id": 1}, CommandStatus.ACCEPTED, {"status": "Accepted"}),
]


async def arrived(cp: Any, count: int) -> None:
    """Until the charger has received `count` calls (a busy machine may still be sending)."""
    async with asyncio.timeout(20):
        while len(cp.received) < count:  # noqa: ASYNC110 - the charger's side has no event
            await asyncio.sleep(0.02)
    assert len(cp.received) == count


async def _booted(cp: Any, version: str) -> None:
    await (boot16(cp) if version == "1.6" else boot201(cp))


@pytest.mark.parametrize(("version", "cases"), [("1.6", CASES_16), ("2.0.1", CASES_201)])
async def test_every_command_round_trips_with_the_chargers_answer(
        start_server: Any, version: str, cases: list[Any]) -> None:
    server = await start_server()
    commander = server.services.commander
    async with obedient(server.address.ocpp, "CP-CMD", version) as cp:
        await _booted(cp, version)
        for command, args, action, handed, status, answer in cases:
            cp.received.clear()
            outcome = await commander.send("CP-CMD", command, args, actor="ana", timeout=20)
            assert outcome.status is status, (command, outcome.error)
            assert outcome.answer == answer
            assert outcome.action == action
            [(received_action, kwargs)] = cp.received
            assert received_action == action
            assert handed.items() <= kwargs.items(), (command, kwargs)
    history = await commander.history("CP-CMD", limit=100)
    assert len(history) == len(cases)
    assert {h.command for h in history} == {c[0] for c in cases}
    assert all(h.actor == "ana" and h.answered_at is not None for h in history)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_charger_that_does_not_answer_is_a_timeout(start_server: Any,
                                                          version: str) -> None:
    server = await start_server()
    commander = server.services.commander
    async with obedient(server.address.ocpp, "CP-SLOW", version) as cp:
        await _booted(cp, version)
        cp.hold.clear()
        outcome = await commander.send("CP-SLOW", "reset", {"type": "soft"}, actor="bo",
                                       timeout=0.5)
        assert outcome.status is CommandStatus.TIMEOUT
        assert "did not answer within 0.5 s" in (outcome.error or "")
        await arrived(cp, 1)  # it was sent; the answer never came in time
        cp.hold.set()  # the late answer comes and is ignored; the next command works
        again = await commander.send("CP-SLOW", "clear_cache", {}, actor="bo", timeout=20)
        assert again.status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED)
    [latest, timed_out] = await commander.history("CP-SLOW")
    assert (timed_out.status, latest.command) == (CommandStatus.TIMEOUT, "clear_cache")
    assert timed_out.answered_at is None


@pytest.mark.parametrize(("version", "command", "args", "why"), [
    ("1.6", "change_configuration", {"key": "K" * 51, "value": "1"}, "key"),
    ("1.6", "call", {"action": "Reset", "payload": {"type": "Sideways"}}, "type"),
    ("1.6", "get_diagnostics", {"location": "not a uri"}, "location"),
    ("2.0.1", "remote_stop", {"transaction_id": "T" * 37}, "transactionId"),
    ("2.0.1", "call", {"action": "Heartbeat", "payload": {}}, "Heartbeat"),
    ("2.0.1", "reset", {"type": "sideways"}, "type"),
])
async def test_an_invalid_command_never_reaches_the_charger(
        start_server: Any, version: str, command: str, args: dict[str, Any], why: str) -> None:
    server = await start_server()
    commander = server.services.commander
    async with obedient(server.address.ocpp, "CP-BAD", version) as cp:
        await _booted(cp, version)
        outcome = await commander.send("CP-BAD", command, args, actor="cy")
        assert outcome.status is CommandStatus.INVALID
        assert why in (outcome.error or "")
        ok = await commander.send("CP-BAD", "clear_cache", {}, actor="cy", timeout=20)
        assert [action for action, _ in cp.received] == ["ClearCache"]
        assert ok.status is not CommandStatus.INVALID
    sent = [m for m in await server.services.store.messages("CP-BAD", limit=100)
            if m.direction == "out" and m.raw.startswith("[2,")]
    assert [m.action for m in sent] == ["ClearCache"]


async def test_an_offline_charger_is_reported_offline(start_server: Any) -> None:
    server = await start_server()
    outcome = await server.services.commander.send("CP-NONE", "reset", {}, actor="di")
    assert outcome.status is CommandStatus.OFFLINE
    assert outcome.error == "CP-NONE is not connected."
    [recorded] = await server.services.commander.history("CP-NONE")
    assert recorded.status is CommandStatus.OFFLINE


async def test_calls_to_one_charger_go_one_at_a_time(start_server: Any) -> None:
    server = await start_server()
    commander = server.services.commander
    async with obedient(server.address.ocpp, "CP-Q", "1.6") as cp:
        await boot16(cp)
        cp.hold.clear()
        first = asyncio.create_task(commander.send("CP-Q", "reset", {}, actor="e", timeout=20))
        second = asyncio.create_task(commander.send("CP-Q", "clear_cache", {}, actor="e",
                                                    timeout=20))
        async with asyncio.timeout(20):
            while not cp.received:  # noqa: ASYNC110 - waits for the charger's side
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert [a for a, _ in cp.received] == ["Reset"]  # the second waits its turn
        cp.hold.set()
        results = await asyncio.gather(first, second)
    assert [r.status for r in results] == [CommandStatus.ACCEPTED, CommandStatus.ACCEPTED]
    assert [a for a, _ in cp.received] == ["Reset", "ClearCache"]


async def test_a_disconnect_ends_the_waiting_call(start_server: Any) -> None:
    server = await start_server()
    commander = server.services.commander
    async with obedient(server.address.ocpp, "CP-GONE", "2.0.1") as cp:
        await boot201(cp)
        cp.hold.clear()
        task = asyncio.create_task(commander.send("CP-GONE", "reset", {}, actor="f",
                                                  timeout=30))
        async with asyncio.timeout(20):
            while not cp.received:  # noqa: ASYNC110 - waits for the charger's side
                await asyncio.sleep(0.02)
    outcome = await asyncio.wait_for(task, 20)
    assert outcome.status is CommandStatus.OFFLINE
    assert "disconnected before answering" in (outcome.error or "")
