"""Interoperability with a second OCPP implementation: ocpp-rpc (Node) in strict mode.

ocpp-rpc validates every call it sends and every answer it receives against the OCPP JSON
schemas, with someone else's reading of them; an answer of evfault's that does not validate
fails the call on the charger's side. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evfault.store.model import IncidentQuery
from node_charger import node_charger

pytestmark = pytest.mark.slow

NOW = "2026-11-28T15:12:12Z"
EVGO = "com.evgo.mrec"


def boot16() -> list[Any]:
    return ["BootNotification", {"chargePointVendor": "Alfen BV", "chargePointModel": "NG920",
                                 "firmwareVersion": "6.4.1"}]


async def test_a_16_charger_in_strict_mode_gets_valid_answers_and_its_faults_are_tracked(
        start_server: Any, tmp_path: Path) -> None:
    server = await start_server()
    calls = [
        boot16(),
        ["Heartbeat", {}],
        ["StatusNotification", {"connectorId": 1, "errorCode": "OtherError",
                                "status": "Faulted", "timestamp": NOW, "vendorId": EVGO,
                                "vendorErrorCode": "F001,F003", "info": "1.11,5.0"}],
        ["StatusNotification", {"connectorId": 2, "errorCode": "GroundFailure",
                                "status": "Faulted", "timestamp": NOW}],
        ["MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": NOW, "sampledValue": [{"value": "12.5", "unit": "kWh"}]}]}],
        ["DataTransfer", {"vendorId": "com.example", "messageId": "x", "data": "y"}],
        ["StatusNotification", {"connectorId": 2, "errorCode": "NoError",
                                "status": "Available", "timestamp": NOW}],
    ]
    async with node_charger(tmp_path, server.address.ocpp, "RPC-16", "ocpp1.6",
                            calls) as charger:
        results = await charger.run_calls()
    assert [r["call"] for r in results] == [c[0] for c in calls]
    failed = [r for r in results if not r["ok"]]
    assert failed == [], f"answers ocpp-rpc's strict mode refused: {failed}"
    assert results[0]["result"]["status"] == "Accepted"
    incidents = await server.services.store.active_incidents("RPC-16")
    assert sorted((i.connector_id, i.code) for i in incidents) == [(1, "F001"), (1, "F003")]
    charger_row = await server.services.store.charger("RPC-16")
    assert charger_row is not None and charger_row.vendor == "Alfen BV"


async def test_a_201_charger_in_strict_mode_gets_valid_answers_and_its_events_are_tracked(
        start_server: Any, tmp_path: Path) -> None:
    server = await start_server()
    calls = [
        ["BootNotification", {"reason": "PowerUp", "chargingStation": {
            "vendorName": "EVerest", "model": "Yeti", "firmwareVersion": "2026.10"}}],
        ["Heartbeat", {}],
        ["StatusNotification", {"timestamp": NOW, "connectorStatus": "Faulted",
                                "evseId": 1, "connectorId": 1}],
        ["NotifyEvent", {"generatedAt": NOW, "seqNo": 0, "eventData": [{
            "eventId": 7, "timestamp": NOW, "trigger": "Alerting", "actualValue": "true",
            "eventNotificationType": "HardWiredNotification", "techCode": "CX011",
            "techInfo": "", "component": {"name": "ChargingStation"},
            "variable": {"name": "Problem"}}]}],
        ["NotifyEvent", {"generatedAt": NOW, "seqNo": 1, "eventData": [{
            "eventId": 8, "timestamp": NOW, "trigger": "Delta", "actualValue": "false",
            "cleared": True, "eventNotificationType": "HardWiredNotification",
            "techCode": "CX011", "component": {"name": "ChargingStation"},
            "variable": {"name": "Problem"}}]}],
    ]
    async with node_charger(tmp_path, server.address.ocpp, "RPC-201", "ocpp2.0.1",
                            calls) as charger:
        results = await charger.run_calls()
    failed = [r for r in results if not r["ok"]]
    assert failed == [], f"answers ocpp-rpc's strict mode refused: {failed}"
    assert results[0]["result"]["status"] == "Accepted"
    recent = await server.services.store.incidents(IncidentQuery(charger_id="RPC-201"))
    assert any(i.code == "CX011" and i.cleared_at is not None for i in recent)


async def test_a_wrong_password_is_refused_before_any_call(start_server: Any,
                                                          tmp_path: Path) -> None:
    server = await start_server()
    await server.trust.admin.add_charger("test", "RPC-PW", profile=1,
                                         password="right-password-123")
    async with node_charger(tmp_path, server.address.ocpp, "RPC-PW", "ocpp1.6", [boot16()],
                            password="wrong-password-123") as charger:
        line = await charger._line()
    assert isinstance(line, dict) and line.get("connect") is False
    async with node_charger(tmp_path, server.address.ocpp, "RPC-PW", "ocpp1.6", [boot16()],
                            password="right-password-123") as charger:
        results = await charger.run_calls()
    assert results[0]["ok"] and results[0]["result"]["status"] == "Accepted"


# ---- evfault's own calls, checked by the other implementation ---------------------------------
# ocpp-rpc in strict mode validates every call it receives: a call of evfault's that breaks the
# schema is answered with a CALLERROR and never reaches the handler, so the command would fail.

ACCEPTED = {"status": "Accepted"}
COMMANDS_16: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("reset", {"type": "hard"}, "Reset", ACCEPTED),
    ("trigger_message", {"message": "StatusNotification", "connector_id": 1}, "TriggerMessage",
     ACCEPTED),
    ("unlock_connector", {"connector_id": 1}, "UnlockConnector", {"status": "Unlocked"}),
    ("change_availability", {"connector_id": 0, "available": False}, "ChangeAvailability",
     ACCEPTED),
    ("remote_start", {"id_tag": "TAG-1", "connector_id": 1}, "RemoteStartTransaction", ACCEPTED),
    ("remote_stop", {"transaction_id": 42}, "RemoteStopTransaction", ACCEPTED),
    ("get_configuration", {"keys": ["HeartbeatInterval"]}, "GetConfiguration",
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}),
    ("change_configuration", {"key": "HeartbeatInterval", "value": 120}, "ChangeConfiguration",
     ACCEPTED),
    ("get_diagnostics", {"location": "ftp://logs.example.com/up"}, "GetDiagnostics",
     {"fileName": "diag.zip"}),
    ("clear_cache", {}, "ClearCache", ACCEPTED),
    ("data_transfer", {"vendor_id": "com.example", "data": "ping"}, "DataTransfer", ACCEPTED),
]
COMMANDS_201: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("reset", {"type": "soft"}, "Reset", ACCEPTED),
    ("trigger_message", {"message": "StatusNotification", "connector_id": 1}, "TriggerMessage",
     ACCEPTED),
    ("unlock_connector", {"connector_id": 1}, "UnlockConnector", {"status": "Unlocked"}),
    ("change_availability", {"connector_id": 1, "available": True}, "ChangeAvailability",
     ACCEPTED),
    ("remote_start", {"id_tag": "TAG-1", "connector_id": 1}, "RequestStartTransaction",
     ACCEPTED),
    ("remote_stop", {"transaction_id": "tx-42"}, "RequestStopTransaction", ACCEPTED),
    ("get_configuration", {"keys": ["OCPPCommCtrlr.HeartbeatInterval"]}, "GetVariables",
     {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                             "component": {"name": "OCPPCommCtrlr"},
                             "variable": {"name": "HeartbeatInterval"}}]}),
    ("change_configuration", {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "120"},
     "SetVariables",
     {"setVariableResult": [{"attributeStatus": "Accepted",
                             "component": {"name": "OCPPCommCtrlr"},
                             "variable": {"name": "HeartbeatInterval"}}]}),
    ("get_diagnostics", {"location": "https://logs.example.com/up"}, "GetLog",
     {"status": "Accepted", "filename": "log.tgz"}),
    ("clear_cache", {}, "ClearCache", ACCEPTED),
    ("data_transfer", {"vendor_id": "com.example", "data": "ping"}, "DataTransfer", ACCEPTED),
]


@pytest.mark.parametrize(("protocol", "boot", "commands"), [
    ("ocpp1.6", boot16(), COMMANDS_16),
    ("ocpp2.0.1", ["BootNotification", {"reason": "PowerUp", "chargingStation": {
        "vendorName": "EVerest", "model": "Yeti"}}], COMMANDS_201),
], ids=["1.6", "2.0.1"])
async def test_every_command_passes_the_other_implementations_schema_check(
        start_server: Any, tmp_path: Path, protocol: str, boot: list[Any],
        commands: list[tuple[str, dict[str, Any], str, dict[str, Any]]]) -> None:
    server = await start_server()
    identity = f"RPC-CMD-{protocol[-3:].replace('.', '')}"
    answers = {action: answer for _, _, action, answer in commands}
    async with node_charger(tmp_path, server.address.ocpp, identity, protocol, [boot],
                            answers=answers) as charger:
        await charger.run_calls()
        for command, args, action, answer in commands:
            outcome = await server.services.commander.send(identity, command, args,
                                                           actor="interop-test")
            handled = await charger.next_handled()
            assert handled["handled"] == action, (command, handled)
            assert handled.get("unanswered") is not True
            assert outcome.action == action and outcome.answer == answer, (command, outcome)
            assert outcome.error is None, (command, outcome.error)
