"""Real chargers, as they are (issue 9): frames as real firmware sends them, through the real
server on port 0 (SQLite and PostgreSQL) — heard, stored, flagged, never refused for a quirk."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import websockets

from accounts import api_token
from evfault.decode import decode_payload

pytestmark = pytest.mark.slow

# A StatusNotification with one field of the charger's own, and a BootNotification with one.
STATUS_WITH_EXTRA = [2, "rc-1", "StatusNotification", {
    "connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted",
    "timestamp": "2026-11-28T15:12:12Z", "energyActiveImport": "12.5"}]
BOOT_WITH_EXTRA = [2, "rc-2", "BootNotification", {
    "chargePointVendor": "ABB", "chargePointModel": "Terra AC", "meterFirmware": "1.2"}]


def status(message_id: str, vendor_id: str | None, code: str, connector: int = 1) -> list[Any]:
    payload: dict[str, Any] = {"connectorId": connector, "errorCode": "OtherError",
                               "status": "Faulted", "timestamp": "2026-11-28T15:12:12Z",
                               "vendorErrorCode": code}
    if vendor_id is not None:
        payload["vendorId"] = vendor_id
    return [2, message_id, "StatusNotification", payload]


def notify(message_id: str, cleared: object) -> list[Any]:
    return [2, message_id, "NotifyEvent", {
        "generatedAt": "2026-11-28T15:12:12Z", "seqNo": 0, "eventData": [{
            "eventId": 7, "timestamp": "2026-11-28T15:12:12Z", "trigger": "Alerting",
            "actualValue": "true", "cleared": cleared, "techCode": "CX011",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
            "variable": {"name": "Problem"}}]}]


async def exchange(ws: Any, frame: list[Any]) -> list[Any]:
    await ws.send(json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), 30))  # type: ignore[no-any-return]


async def connect(server: Any, charger_id: str, protocol: str = "ocpp1.6") -> Any:
    return await websockets.connect(f"{server.address.ocpp}/{charger_id}",
                                    subprotocols=[protocol])


async def active(server: Any, charger_id: str) -> list[dict[str, Any]]:
    token = await api_token(server, "viewer")
    async with httpx.AsyncClient(base_url=server.address.http,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        response = await client.get("/api/v1/errors/active")
    assert response.status_code == 200, response.text
    return [e for e in response.json()["errors"] if e["charger_id"] == charger_id]


async def test_extra_fields_are_accepted_stored_and_flagged(
        start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = await start_server()
    caplog.set_level(logging.INFO, logger="evfault")
    async with await connect(server, "CP-EXTRA") as ws:
        boot = await exchange(ws, BOOT_WITH_EXTRA)
        assert boot[0] == 3 and boot[2]["status"] == "Accepted"
        answer = await exchange(ws, STATUS_WITH_EXTRA)
        assert answer == [3, "rc-1", {}]  # not FormationViolation
    (incident,) = await active(server, "CP-EXTRA")
    assert incident["code"] == "GroundFailure"  # the fault is not lost
    stored = await server.services.store.messages("CP-EXTRA", limit=10)
    assert any("energyActiveImport" in m.raw for m in stored)
    assert "conformance warning unknown-field" in caplog.text
    charger = await server.services.store.charger("CP-EXTRA")
    assert charger is not None and charger.vendor == "ABB"


async def test_cleared_as_the_string_true_clears_and_is_flagged(
        start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = await start_server()
    caplog.set_level(logging.INFO, logger="evfault")
    async with await connect(server, "CS-TRUE", "ocpp2.0.1") as ws:
        assert (await exchange(ws, notify("n1", False)))[0] == 3
        assert [e["code"] for e in await active(server, "CS-TRUE")] == ["CX011"]
        assert (await exchange(ws, notify("n2", "true")))[0] == 3  # not a CALLERROR
    assert await active(server, "CS-TRUE") == []  # "true" meant true: the error cleared
    assert "cleared" in caplog.text and "ocpp-schema" in caplog.text


@pytest.mark.parametrize("vendor_id", ["com.acme", "ABB"])
async def test_a_code_is_the_scheme_its_vendor_id_names(start_server: Any, vendor_id: str
                                                        ) -> None:
    server = await start_server()
    async with await connect(server, "CP-VEND") as ws:
        assert (await exchange(ws, status("v1", vendor_id, "F001")))[0] == 3
    (incident,) = await active(server, "CP-VEND")
    assert (incident["scheme"], incident["code"], incident["vendor_id"]) == (
        "unknown", "F001", vendor_id)  # that vendor's F001, not EVgo's ground fault
    assert incident["code_guessed"] is False


async def test_a_code_without_vendor_id_is_recognised_by_shape_and_marked_a_guess(
        start_server: Any) -> None:
    server = await start_server()
    async with await connect(server, "CP-GUESS") as ws:
        assert (await exchange(ws, status("g1", None, "F001")))[0] == 3
        assert (await exchange(ws, status("g2", "com.evgo.mrec", "F005", connector=2)))[0] == 3
    by_code = {e["code"]: e for e in await active(server, "CP-GUESS")}
    assert by_code["F001"]["scheme"] == "evgo-mrec" and by_code["F001"]["code_guessed"] is True
    assert by_code["F005"]["code_guessed"] is False


def test_the_decoder_reads_vendor_codes_by_vendor_id() -> None:
    acme = decode_payload("StatusNotification", status("x", "com.acme", "F001")[3])
    (fault,) = acme.faults
    assert (fault.scheme, fault.known, fault.guessed) == ("unknown", False, False)
    (guess,) = decode_payload("StatusNotification", status("x", None, "F001")[3]).faults
    assert (guess.scheme, guess.code, guess.known, guess.guessed) == (
        "evgo-mrec", "F001", True, True)
    (named,) = decode_payload("StatusNotification",
                              status("x", "com.evgo.mrec", "F001")[3]).faults
    assert (named.scheme, named.guessed) == ("evgo-mrec", False)


def test_an_unknown_201_connector_status_is_heard_and_flagged() -> None:
    """The relaxed 2.0.1 connectorStatus check: the enum lives in the schema's definitions, and
    relaxing the property must reach it."""
    import itertools
    from datetime import UTC, datetime

    from evfault.pipeline import MessagePath, PathConfig
    from evfault.tracking.tracker import Tracker, TrackerConfig

    ids = itertools.count(1)
    path = MessagePath(Tracker(TrackerConfig(), lambda: f"i{next(ids)}"), PathConfig(60))
    frame = json.dumps([2, "cs1", "StatusNotification", {
        "timestamp": "2026-11-28T15:12:12Z", "connectorStatus": "Broken", "evseId": 1,
        "connectorId": 1}])
    done = path.incoming("CS-1", "2.0.1", frame, datetime(2026, 11, 28, 15, 12, 13, tzinfo=UTC))
    assert done.error is None and json.loads(done.answer or "") == [3, "cs1", {}]
    assert [w.rule for w in done.warnings] == ["ocpp-schema"]
    assert "connectorStatus" in done.warnings[0].message
