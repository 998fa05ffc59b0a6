"""Self-healing end to end: the `ocpp` package's ChargePoint as a charger that reboots when
it is reset, a real server on port 0 (SQLite and PostgreSQL), and a webhook receiver.

An InternalError that persists gets a soft reset after the rule's delay, then a hard reset,
then an alert; one that clears after the soft reset is recorded as fixed remotely and raises
no alert.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as r16
from ocpp.v16.enums import Action

from accounts import api_token
from alert_support import WebhookReceiver
from chargers import _charger, boot16, send_status16
from obedient import obedient
from test_alerts_e2e import SECRET, alert_settings, outbox_has

pytestmark = pytest.mark.slow


class Rebooting(ChargePoint16):  # type: ignore[misc]
    """Answers Reset with Accepted, then boots again and reports its error, or none when a
    reset of a kind in `fixed_by` repaired it."""

    fixed_by: set[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resets: list[str] = []
        self.fixed_by = set()
        self.rebooted = asyncio.Event()

    @on(Action.reset)
    async def on_reset(self, type: str, **_: Any) -> Any:
        self.resets.append(type)
        return r16.Reset(status="Accepted")

    @after(Action.reset)
    async def after_reset(self, type: str, **_: Any) -> None:
        await self.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        if type in self.fixed_by:
            await send_status16(self, errorCode="NoError", status="Available")
        else:
            await send_status16(self, errorCode="InternalError", status="Faulted")
        self.rebooted.set()


@asynccontextmanager
async def rebooting(server: Any, charger_id: str, fixed_by: set[str]) -> AsyncIterator[Any]:
    async with _charger(Rebooting, "ocpp1.6", server.address.ocpp, charger_id) as cp:
        cp.fixed_by = fixed_by
        await boot16(cp)
        yield cp


def rules(tmp_path: Path, hook: str) -> str:
    path = tmp_path / "rules.yaml"
    path.write_text(f"""
self_healing:
  - name: restart
    match: {{code: InternalError}}
    after: 500ms
    actions: [soft_reset, hard_reset]
    verify: 3s
alerts:
  - name: still-broken
    match: {{code: InternalError}}
    after: 500ms
    quiet_while_healing: true
    resolved: false
    channels: [{{webhook: '{hook}'}}]
""")
    return str(path)


async def until(condition: Callable[[], Any], bound: float = 60.0) -> None:
    async with asyncio.timeout(bound):
        while not condition():  # noqa: ASYNC110 - another task's doing
            await asyncio.sleep(0.05)


async def viewer(server: Any) -> httpx.AsyncClient:
    token = await api_token(server, "viewer")
    return httpx.AsyncClient(base_url=server.address.http, timeout=30,
                             headers={"authorization": f"Bearer {token}"})


async def incident_json(server: Any, charger_id: str) -> dict[str, Any]:
    async with await viewer(server) as client:
        errors = (await client.get(f"/api/v1/errors?charger_id={charger_id}")).json()["errors"]
    [found] = errors
    return dict(found)


async def test_a_persisting_error_gets_soft_then_hard_reset_then_an_alert(
        start_server: Any, tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    # A long reboot window: on a busy machine the re-report after the BootNotification may
    # come late, and the error must not pass for cleared by the reboot.
    server = await start_server(reboot_window=5.0,
                                **alert_settings(rules(tmp_path, receiver.url)))
    try:
        async with rebooting(server, "CP-STUCK", fixed_by=set()) as cp:
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            await until(lambda: receiver.deliveries)
            assert cp.resets == ["Soft", "Hard"]
            [alert] = receiver.deliveries
            assert alert.signed and alert.body["charger_id"] == "CP-STUCK"
            incident = await incident_json(server, "CP-STUCK")
        assert incident["active"] is True
        actions = incident["actions"]
        assert [(a["action"], a["status"], a["cleared"]) for a in actions] == [
            ("soft_reset", "accepted", False), ("hard_reset", "accepted", False)]
        assert actions[0]["answer"] == {"status": "Accepted"}
        assert actions[0]["rule"] == "restart"
        # The alert came only once self-healing had given up: after the hard reset's verdict.
        [row] = await outbox_has(server, "sent", 1)
        assert row.created_at >= datetime.fromisoformat(actions[1]["checked_at"])
        async with await viewer(server) as client:
            page = (await client.get("/chargers/CP-STUCK", headers={"accept": "text/html"})).text
        assert "soft reset" in page and "hard reset" in page and "the error stayed" in page
        history = await server.services.commander.history("CP-STUCK")
        assert {(h.command, h.args["type"], h.actor) for h in history} == {
            ("reset", "soft", "rule:restart"), ("reset", "hard", "rule:restart")}
    finally:
        receiver.close()


async def test_an_error_a_soft_reset_clears_is_fixed_remotely_and_alerts_nobody(
        start_server: Any, tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    # A long reboot window: on a busy machine the re-report after the BootNotification may
    # come late, and the error must not pass for cleared by the reboot.
    server = await start_server(reboot_window=5.0,
                                **alert_settings(rules(tmp_path, receiver.url)))
    try:
        async with rebooting(server, "CP-FIXED", fixed_by={"Soft"}) as cp:
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            await until(cp.rebooted.is_set)

            async def judged() -> dict[str, Any]:
                while True:
                    found = await incident_json(server, "CP-FIXED")
                    if found["actions"] and found["actions"][0]["cleared"] is not None:
                        return found
                    await asyncio.sleep(0.05)

            incident = await asyncio.wait_for(judged(), 60)
            # Well past the alert rule's delay: still nothing to send.
            await server.alerts.check(datetime.now(UTC))
            await server.alerts.deliver()
        assert cp.resets == ["Soft"]
        assert incident["active"] is False and incident["cleared_by"] in ("reboot", "NoError")
        [action] = incident["actions"]
        assert (action["action"], action["cleared"]) == ("soft_reset", True)
        assert await server.alerts.messages() == []
        assert receiver.deliveries == []
    finally:
        receiver.close()


async def test_unlock_and_availability_rules_and_never_during_a_transaction(
        start_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("""
self_healing:
  - name: unlock
    match: {code: ConnectorLockFailure}
    after: 0s
    actions: [unlock]
  - name: take-out-of-service
    match: {code: GroundFailure}
    after: 0s
    actions: [inoperative]
  - name: restart
    match: {code: InternalError}
    after: 0s
    actions: [soft_reset]
""")
    server = await start_server(**alert_settings(str(path)))
    async with obedient(server.address.ocpp, "CP-LOCK", "1.6") as lock, \
            obedient(server.address.ocpp, "CP-GF", "1.6") as ground, \
            obedient(server.address.ocpp, "CP-BUSY", "1.6") as busy:
        for cp in (lock, ground, busy):
            await boot16(cp)
        await send_status16(busy, connectorId=2, errorCode="NoError", status="Charging")
        await send_status16(busy, connectorId=1, errorCode="InternalError", status="Faulted")
        await send_status16(lock, connectorId=1, errorCode="ConnectorLockFailure",
                            status="Faulted")
        await send_status16(ground, connectorId=2, errorCode="GroundFailure", status="Faulted")
        await until(lambda: lock.received and ground.received)
        assert await server.healer.tick() == []  # a car is charging on CP-BUSY: no reset
        assert busy.received == []
    assert [(a, k["connector_id"]) for a, k in lock.received] == [("UnlockConnector", 1)]
    assert [(a, k["connector_id"], k["type"]) for a, k in ground.received] == [
        ("ChangeAvailability", 2, "Inoperative")]
    lock_actions = (await incident_json(server, "CP-LOCK"))["actions"]
    ground_actions = (await incident_json(server, "CP-GF"))["actions"]
    assert [(a["action"], a["status"]) for a in lock_actions] == [("unlock", "accepted")]
    assert [(a["action"], a["status"]) for a in ground_actions] == [("inoperative", "scheduled")]
    assert (await incident_json(server, "CP-BUSY"))["actions"] == []
