"""Poisoned frames on each backend: what the database cannot store never changes memory.

Figures that must hold: a value no database can hold is answered CALLERROR and tracks nothing;
a NUL or an impossible time is stored sanitised and flagged; the history holds exactly what
was acknowledged; and offline detection stays right for every other charger (20 of 20).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

pytestmark = pytest.mark.slow

OTHERS = 20


async def call(ws: Any, message_id: str, action: str, payload: dict[str, Any]) -> list[Any]:
    await ws.send(json.dumps([2, message_id, action, payload]))
    return json.loads(await asyncio.wait_for(ws.recv(), 60))  # type: ignore[no-any-return]


def status(connector: int, code: str | None = None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"connectorId": connector, "errorCode": "OtherError",
                               "status": "Faulted", **extra}
    if code is not None:
        payload["vendorErrorCode"] = code
    return payload


async def connect(server: Any, charger_id: str) -> Any:
    return await websockets.connect(f"{server.address.ocpp}/{charger_id}",
                                    subprotocols=["ocpp1.6"])


async def test_poisoned_frames_never_change_memory(start_server: Any) -> None:
    server = await start_server()
    store = server.services.store
    others = [await connect(server, f"CP-OK-{i}") for i in range(OTHERS)]
    for i, ws in enumerate(others):
        assert (await call(ws, f"h{i}", "Heartbeat", {}))[0] == 3
    async with await connect(server, "CP-POISON") as ws:
        answer = await call(ws, "p1", "StatusNotification", status(2**63, "F001"))
        assert answer[:3] == [4, "p1", "PropertyConstraintViolation"]
        assert server.central.tracker.active("CP-POISON") == []

        answer = await call(ws, "p2", "StatusNotification",
                            status(1, "F0\x0001", info="12\x00V"))
        assert answer[0] == 3
        answer = await call(ws, "p3", "StatusNotification",
                            status(2, "F002", timestamp="0001-01-01T00:00:00+14:00"))
        assert answer[0] == 3
        answer = await call(ws, "p4", "StatusNotification",
                            status(3, "F003", timestamp="2026-11-28T15:12:12"))  # no offset
        assert answer[0] == 3

        answer = await call(ws, "p\x005", "Heartbeat", {})  # a NUL in the message id
        assert answer[:2] == [3, "p\x005"]
        await ws.send('[2, "p6", "Heart\x00beat", {}]')  # a raw NUL: not JSON at all
        answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert answer[:3] == [4, "-1", "FormationViolation"]

    stored = {i.connector_id: i for i in await store.active_incidents("CP-POISON")}
    tracked = {i.connector_id: i for i in server.central.tracker.active("CP-POISON")}
    assert sorted(stored) == sorted(tracked) == [1, 2, 3]  # memory equals the history
    assert stored[1].code == "F0\ufffd01" and stored[1].info == "12\ufffdV"
    for connector in (2, 3):
        incident = stored[connector]
        assert incident.time_flagged  # dated by receipt, not by the impossible clock
        assert incident.opened_at == incident.opened_received_at
    logged = await store.messages("CP-POISON", limit=100)
    assert sorted(m.message_id for m in logged if m.direction == "out") == [
        "-1", "p1", "p2", "p3", "p4", "p\ufffd5"]

    for ws in others:
        await ws.close()
    await eventually_all_offline(store, [f"CP-OK-{i}" for i in range(OTHERS)])
    assert all(server.central.tracker.online(f"CP-OK-{i}") is False for i in range(OTHERS))


async def eventually_all_offline(store: Any, charger_ids: list[str], bound: float = 120) -> None:
    """Wait (a bound against a hang, not a timing claim) until the store says all are offline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while True:
        rows = [await store.charger(charger_id) for charger_id in charger_ids]
        if all(r is not None and not r.online for r in rows):
            return
        assert loop.time() < deadline, "offline detection stopped for some chargers"
        await asyncio.sleep(0.05)


async def test_a_refused_write_rolls_the_tracker_back(start_server: Any) -> None:
    """Whatever the store refuses, memory is reloaded from it: history equals memory."""
    server = await start_server()
    store = server.services.store
    original = store.write
    refuse = False

    async def flaky(batch: Any) -> None:
        if refuse and batch.incidents:
            raise RuntimeError("disk full")
        await original(batch)

    store.write = flaky
    async with await connect(server, "CP-FLAKY") as ws:
        assert (await call(ws, "a", "StatusNotification", status(1, "F001")))[0] == 3
        refuse = True
        answer = await call(ws, "b", "StatusNotification", status(1, "F002"))
        assert answer[:3] == [4, "b", "InternalError"]
        tracked = [i.code for i in server.central.tracker.active("CP-FLAKY")]
        assert tracked == ["F001"]  # F002 was not acknowledged, so it is not remembered
        refuse = False
        assert (await call(ws, "c", "StatusNotification", status(1, "F002")))[0] == 3
    stored = sorted(i.code for i in await store.active_incidents("CP-FLAKY"))
    assert stored == [i.code for i in server.central.tracker.active("CP-FLAKY")] == ["F002"]


async def test_a_failing_offline_write_for_one_charger_spares_the_others(
        start_server: Any) -> None:
    server = await start_server()
    store = server.services.store
    original = store.write

    async def refuses_one(batch: Any) -> None:
        if any(c.charger_id == "CP-STUCK" for c in batch.connectivity if not c.online):
            raise RuntimeError("this charger's rows are refused")
        await original(batch)

    store.write = refuses_one
    names = ["CP-STUCK", *(f"CP-FINE-{i}" for i in range(5))]
    sockets = [await connect(server, name) for name in names]
    for i, ws in enumerate(sockets):
        assert (await call(ws, f"h{i}", "Heartbeat", {}))[0] == 3
    for ws in sockets:
        await ws.close()
    await eventually_all_offline(store, names[1:])
    stuck = await store.charger("CP-STUCK")
    assert stuck is not None and stuck.online  # its refused change is not in the history…
    assert server.central.tracker.online("CP-STUCK") is not False  # …nor in memory
