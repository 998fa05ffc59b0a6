"""One message path: the server and a log reader give the same incidents from the same frames."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from chargers import boot16, boot201, charger16, charger201, send_status16
from evfault.pipeline import MessagePath, PathConfig
from evfault.store.model import IncidentQuery
from evfault.tracking.model import Incident, IncidentChange
from evfault.tracking.tracker import Tracker, TrackerConfig

EVGO = "com.evgo.mrec"
CHARGEX = "https://chargex.inl.gov"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def counting_ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"id-{next(counter)}"


def new_path(**config: float) -> MessagePath:
    return MessagePath(Tracker(TrackerConfig(**config), counting_ids()), PathConfig(42))


# ---- the pure path --------------------------------------------------------------------------


def test_a_heartbeat_is_answered_and_logged_both_ways() -> None:
    done = new_path().incoming("CP-1", "1.6", '[2,"h1","Heartbeat",{}]', T0)
    assert json.loads(done.answer or "") == [3, "h1", {"currentTime": "2026-03-01T12:00:00.000Z"}]
    assert [(m.direction, m.action) for m in done.batch.messages] == [
        ("in", "Heartbeat"), ("out", "Heartbeat")]
    assert done.batch.chargers[0].last_seen == T0


def test_a_boot_is_answered_with_the_configured_interval() -> None:
    frame = '[2,"b","BootNotification",{"chargePointVendor":"Acme","chargePointModel":"X"}]'
    done = new_path().incoming("CP-1", "1.6", frame, T0)
    assert json.loads(done.answer or "")[2]["interval"] == 42
    assert done.batch.chargers[0].vendor == "Acme"


def test_a_fault_opens_an_incident_in_the_rows_and_the_changes() -> None:
    frame = json.dumps([2, "s", "StatusNotification", {
        "connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"}])
    done = new_path().incoming("CP-1", "1.6", frame, T0)
    [opened] = [c for c in done.changes if isinstance(c, IncidentChange)]
    assert opened.incident.code == "GroundFailure" and opened.incident.opened_at == T0
    assert done.batch.incidents == [opened.incident]
    assert [(c.connector_id, c.status) for c in done.batch.connectors] == [(1, "Faulted")]
    assert json.loads(done.answer or "") == [3, "s", {}]


def test_a_bad_frame_is_answered_with_a_callerror_and_tracks_nothing() -> None:
    path = new_path()
    done = path.incoming("CP-1", "2.0.1", '[2,"x","Heartbeat",[]]', T0)
    answer = json.loads(done.answer or "")
    assert answer[:3] == [4, "x", "FormatViolation"]
    assert done.changes == [] and not done.batch.incidents
    assert [m.direction for m in done.batch.messages] == ["in", "out"]


def test_a_reply_to_one_of_our_calls_is_matched_not_answered() -> None:
    done = new_path().incoming("CP-1", "1.6", '[3,"our-1",{"status":"Accepted"}]', T0)
    assert done.answer is None
    assert done.reply is not None and done.reply.message_id == "our-1"


def test_the_path_is_pure() -> None:
    import ast
    from pathlib import Path

    import evfault.pipeline

    tree = ast.parse(Path(evfault.pipeline.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    banned = ("asyncio", "sqlalchemy", "websockets", "starlette", "uvicorn", "evfault.store.sql",
              "evfault.ocpp.session", "evfault.ocpp.central", "evfault.server")
    assert not [name for name in imported if name.startswith(banned)]


# ---- the server and the path, on the same frames ------------------------------------------


async def stored_frames(store: Any, charger_id: str) -> list[tuple[datetime, str]]:
    """What one charger sent, oldest first, as the server logged it (time of receipt, raw)."""
    rows = []
    before: int | None = None
    while page := await store.messages(charger_id, limit=500, before_id=before):
        rows.extend(r for r in page if r.direction == "in")
        before = page[-1].id
    return [(r.at, r.raw) for r in sorted(rows, key=lambda r: r.id)]


def comparable(incident: Incident) -> dict[str, Any]:
    row = asdict(incident)
    del row["id"]  # random in the server, counted in the replay
    return row


def _notify(code: str, cleared: bool, stamp: str) -> call201.NotifyEvent:
    return call201.NotifyEvent(generated_at=stamp, seq_no=0, event_data=[{
        "event_id": 1, "timestamp": stamp, "trigger": "Alerting",
        "actual_value": "false" if cleared else "true", "tech_code": code,
        "cleared": cleared, "event_notification_type": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
        "variable": {"name": "Problem"}}])


async def drive_fleet(server: Any) -> None:
    """A sequence with every way an incident opens, continues and clears, and a bad frame."""
    url = server.address.ocpp
    async with charger16(url, "CP-EVGO") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="OtherError", status="Finishing", vendorId=EVGO,
                            vendorErrorCode="F001,F003", info="1.11,5.00",
                            timestamp="2026-01-10T14:51:17Z")
        await send_status16(cp, errorCode="OtherError", status="Faulted", vendorId=EVGO,
                            vendorErrorCode="F003", info="5.10")
        await send_status16(cp, errorCode="GroundFailure", status="Faulted", connectorId=2)
        await send_status16(cp, errorCode="NoError", status="Available")
        await boot16(cp)  # connector 2's GroundFailure is not reported again: cleared by reboot
    async with charger16(url, "CP-CX") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="UnderVoltage", status="Faulted", vendorId=CHARGEX,
                            vendorErrorCode="CX006", info="0")
        await send_status16(cp, errorCode="GroundFailure", status="Faulted", vendorId=CHARGEX,
                            vendorErrorCode="CX002", timestamp="2023-09-06T00-08-09Z")
        await send_status16(cp, errorCode="UnderVoltage", status="Faulted", vendorId=CHARGEX,
                            vendorErrorCode="CX002", info="Error CX002 resolved")
        await cp.call(call16.Heartbeat())
    async with charger201(url, "CS-201") as cs:
        await boot201(cs)
        await cs.call(_notify("CX011", False, "2026-01-01T00:00:00Z"))
        await cs.call(_notify("CX011", True, "2026-01-01T00:05:00Z"))
        await cs.call(_notify("GroundFailure", False, "2026-01-01T00:06:00Z"))
    async with websockets.connect(f"{url}/CP-BAD", subprotocols=["ocpp1.6"]) as ws:
        for frame in ('not json', '[2,"1","StatusNotification",{"status":"Faulted"}]',
                      json.dumps([2, "2", "StatusNotification", {
                          "connectorId": 1, "errorCode": "HighTemperature",
                          "status": "Faulted"}])):
            await ws.send(frame)
            await asyncio.wait_for(ws.recv(), 30)


@pytest.mark.slow
async def test_the_server_and_the_path_give_the_same_incidents(start_server: Any) -> None:
    server = await start_server(reboot_window=0.3)
    await drive_fleet(server)
    store = server.services.store

    async def reboot_window_ran_out() -> bool:
        rows = await store.incidents(IncidentQuery(charger_id="CP-EVGO"))
        return any(i.cleared_by is not None and i.cleared_by.value == "reboot" for i in rows)

    async with asyncio.timeout(20):
        while not await reboot_window_ran_out():  # noqa: ASYNC110 - the server's ticker clears
            await asyncio.sleep(0.05)

    config = server.central.tracker.config
    replay = MessagePath(Tracker(config, counting_ids()), PathConfig(42))
    replayed: dict[str, Incident] = {}
    last = T0
    for charger_id, version in (("CP-EVGO", "1.6"), ("CP-CX", "1.6"), ("CS-201", "2.0.1"),
                                ("CP-BAD", "1.6")):
        for at, raw in await stored_frames(store, charger_id):
            done = replay.incoming(charger_id, version, raw, at)
            replayed.update((i.id, i) for i in done.batch.incidents)
            last = max(last, at)
    for change in replay.tick(last + timedelta(hours=1)):
        if isinstance(change, IncidentChange):
            replayed[change.incident.id] = change.incident

    served = await store.incidents(IncidentQuery(limit=1000))
    key = lambda row: (row["charger_id"], row["connector_id"], row["code"])  # noqa: E731
    assert sorted(map(comparable, served), key=key) == sorted(
        map(comparable, replayed.values()), key=key)
    codes = {(i.charger_id, i.code, i.cleared_by.value if i.cleared_by else None)
             for i in served}
    # The sequence really exercised every kind of change, so the comparison means something.
    assert codes >= {("CP-EVGO", "F001", "replaced"), ("CP-EVGO", "F003", "NoError"),
                     ("CP-EVGO", "GroundFailure", "reboot"), ("CP-CX", "CX002", "resolved"),
                     ("CP-CX", "CX006", None), ("CS-201", "CX011", "cleared-event"),
                     ("CS-201", "GroundFailure", None), ("CP-BAD", "HighTemperature", None)}
