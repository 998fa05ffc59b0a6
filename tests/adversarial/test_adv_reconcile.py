"""Reconcile after a crash and on reconnect: an incident whose NoError was lost is closed as
`reconciled` once the charger, asked for its status, says all is well (1.6 and 2.0.1, SQLite
and PostgreSQL). A charger still faulted keeps its incident."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from chargers import boot16, boot201, send_status16
from evfault.server import Server
from evfault.settings import Settings
from evfault.store.model import IncidentQuery
from net_support import wait_until
from server_support import FAST

pytestmark = pytest.mark.slow


class Healthy16(ChargePoint16):  # type: ignore[misc]
    """A 1.6 charger whose errors are gone: asked for its status, it says Available."""

    asked: list[Any]

    @on("TriggerMessage")
    def on_trigger(self, requested_message: str, **kwargs: Any) -> Any:
        self.asked.append((requested_message, kwargs.get("connector_id")))
        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(
            send_status16(self, status="Available")))
        return result16.TriggerMessage(status="Accepted")


class Healthy201(ChargePoint201):  # type: ignore[misc]
    asked: list[Any]

    @on("TriggerMessage")
    def on_trigger(self, requested_message: str, **kwargs: Any) -> Any:
        evse = kwargs.get("evse") or {}
        self.asked.append((requested_message, evse.get("id")))
        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(
            self.call(call201.StatusNotification(
                timestamp="2026-11-28T12:00:00Z", connector_status="Available",
                evse_id=evse.get("id", 1), connector_id=1))))
        return result201.TriggerMessage(status="Accepted")


async def start(db_url: str) -> Server:
    server = Server(Settings(**{"db": db_url, **FAST}))
    await server.start()
    return server


async def run(cls: Any, protocol: str, url: str, charger_id: str) -> tuple[Any, Any, Any]:
    ws = await websockets.connect(f"{url}/{charger_id}", subprotocols=[protocol])
    cp = cls(charger_id, ws)
    cp.asked = []
    task = asyncio.create_task(cp.start())
    return cp, ws, task


async def stop(ws: Any, task: Any) -> None:
    await ws.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def active_codes(server: Server, charger_id: str) -> list[str]:
    assert server.services is not None
    return [i.code for i in await server.services.store.active_incidents(charger_id)]


async def test_a_lost_no_error_is_reconciled_after_a_restart(db_url: str) -> None:
    first = await start(db_url)
    cp, ws, task = await run(Healthy16, "ocpp1.6", first.address.ocpp, "CP-REC")
    await boot16(cp)
    await send_status16(cp, errorCode="GroundFailure", status="Faulted")
    await stop(ws, task)
    await first.stop()  # the NoError the charger sent next was lost with the server

    second = await start(db_url)
    try:
        assert await active_codes(second, "CP-REC") == ["GroundFailure"]
        cp, ws, task = await run(Healthy16, "ocpp1.6", second.address.ocpp, "CP-REC")
        await wait_until(lambda: bool(cp.asked))
        assert cp.asked == [("StatusNotification", None)]  # 1.6: every connector at once
        incidents = []

        async def closed() -> bool:
            nonlocal incidents
            incidents = await second.services.store.incidents(  # type: ignore[union-attr]
                IncidentQuery(charger_id="CP-REC"))
            return any(i.cleared_by == "reconciled" for i in incidents)

        await _eventually(closed)
        assert await active_codes(second, "CP-REC") == []
        assert second.central is not None and second.central.tracker.active("CP-REC") == []
        await stop(ws, task)
    finally:
        await second.stop()


async def test_201_reconnect_asks_each_evse_with_incidents(db_url: str) -> None:
    server = await start(db_url)
    try:
        cp, ws, task = await run(Healthy201, "ocpp2.0.1", server.address.ocpp, "CS-REC")
        await boot201(cp)
        await cp.call(call201.StatusNotification(timestamp="2026-11-28T11:00:00Z",
                                                 connector_status="Faulted", evse_id=2,
                                                 connector_id=1))
        assert await active_codes(server, "CS-REC") == ["FaultedNoCode"]
        await stop(ws, task)
        cp, ws, task = await run(Healthy201, "ocpp2.0.1", server.address.ocpp, "CS-REC")
        await wait_until(lambda: bool(cp.asked))
        assert cp.asked == [("StatusNotification", 2)]

        async def none_open() -> bool:
            return await active_codes(server, "CS-REC") == []

        await _eventually(none_open)
        await stop(ws, task)
    finally:
        await server.stop()


async def test_a_charger_with_nothing_open_is_not_asked(db_url: str) -> None:
    server = await start(db_url)
    try:
        cp, ws, task = await run(Healthy16, "ocpp1.6", server.address.ocpp, "CP-CALM")
        await boot16(cp)
        await cp.call(call16.Heartbeat())
        assert server.reconciler is not None and server.reconciler.asked == 0
        assert cp.asked == []
        await stop(ws, task)
    finally:
        await server.stop()


async def _eventually(condition: Any, bound: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while not await condition():
        assert loop.time() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)
