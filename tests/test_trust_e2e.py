"""Chargers that must prove who they are, end to end: a real server on port 0, the `ocpp`
package's ChargePoint and raw WebSocket handshakes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import websockets
from ocpp.v16 import call as call16

from accounts import api_token
from chargers import basic_auth, boot16, boot201, charger16, charger201
from evfault.ocpp.admission import Registration

pytestmark = pytest.mark.slow

PASSWORD = "correct-horse-battery-staple-42"
HEARTBEAT = '[2,"hb","Heartbeat",{}]'


async def register(server: Any, charger_id: str, password: str = PASSWORD,
                   profile: int = 1) -> None:
    await server.trust.admin.add_charger("test", charger_id, profile=profile, password=password)


async def api(server: Any, method: str, path: str, role: str = "operator") -> Any:
    token = await api_token(server, role)
    async with httpx.AsyncClient(base_url=server.address.http,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        response = await client.request(method, path)
    assert response.status_code < 300, response.text
    return response.json()


async def refusals(server: Any, charger_id: str) -> dict[str, int]:
    listed = (await api(server, "GET", "/api/v1/connections/refused", "viewer"))["refused"]
    return {r["reason"]: r["count"] for r in listed if r["charger_id"] == charger_id}


async def refused_status(server: Any, charger_id: str, headers: dict[str, str] | None = None,
                         protocol: str = "ocpp1.6") -> int:
    """The HTTP status a handshake was refused with (it must be refused)."""
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"{server.address.ocpp}/{charger_id}",
                                      subprotocols=[protocol], additional_headers=headers):
            pass
    status: int = refused.value.response.status_code
    return status


async def exchange(ws: Any, frame: str) -> list[Any]:
    await ws.send(frame)
    return json.loads(await asyncio.wait_for(ws.recv(), 30))  # type: ignore[no-any-return]


# ---- profile 1: the password ------------------------------------------------------------------


async def test_profile_1_with_the_right_password_boots(start_server: Any) -> None:
    server = await start_server(unknown_chargers="reject")
    await register(server, "CP-P1")
    async with charger16(server.address.ocpp, "CP-P1", basic_auth("CP-P1", PASSWORD)) as cp:
        assert (await boot16(cp)).status == "Accepted"
    assert await refusals(server, "CP-P1") == {}


@pytest.mark.parametrize(("headers", "reason"), [
    (basic_auth("CP-P1", "wrong-password-but-long-enough"), "bad-password"),
    (None, "missing-password"),
    (basic_auth("CP-OTHER", PASSWORD), "bad-password"),  # the user name must be the id
    ({"Authorization": "Basic not-base64!"}, "missing-password"),
])
async def test_profile_1_without_the_right_password_is_refused(
        start_server: Any, headers: dict[str, str] | None, reason: str) -> None:
    server = await start_server()
    await register(server, "CP-P1")
    for _ in range(2):
        assert await refused_status(server, "CP-P1", headers) in (401, 403)
    assert await refusals(server, "CP-P1") == {reason: 2}
    assert server.central.sessions == {}
    assert await server.services.store.charger("CP-P1") is None  # it never got in


async def test_a_new_password_works_at_once_and_the_old_one_stops(start_server: Any) -> None:
    server = await start_server()
    await register(server, "CP-ROT")
    async with charger16(server.address.ocpp, "CP-ROT", basic_auth("CP-ROT", PASSWORD)) as cp:
        await boot16(cp)
    await server.trust.admin.set_charger_password("test", "CP-ROT", password="x" * 20)
    assert await refused_status(server, "CP-ROT", basic_auth("CP-ROT", PASSWORD)) in (401, 403)
    async with charger16(server.address.ocpp, "CP-ROT", basic_auth("CP-ROT", "x" * 20)) as cp:
        assert (await boot16(cp)).status == "Accepted"


# ---- unknown chargers and approval --------------------------------------------------------------


async def test_pending_charger_boots_pending_until_approved_16(start_server: Any) -> None:
    server = await start_server(unknown_chargers="pending", heartbeat_interval=300)
    async with charger16(server.address.ocpp, "CP-NEW") as cp:
        first = await boot16(cp)
        assert first.status == "Pending" and 0 < first.interval <= 60
        listed = await api(server, "GET", "/api/v1/registry/chargers", "viewer")
        assert [(c["id"], c["state"]) for c in listed["chargers"]] == [("CP-NEW", "pending")]
        approved = await api(server, "POST", "/api/v1/registry/chargers/CP-NEW/approve")
        assert approved["state"] == "accepted"
        again = await boot16(cp)  # the same connection: the approval reached it
        assert again.status == "Accepted" and again.interval == 300
    audit = await api(server, "GET", "/api/v1/audit", "admin")
    approvals = [a for a in audit["audit"] if a["action"] == "charger.approve"]
    assert [(a["target"], a["actor"].split("-")[0]) for a in approvals] == [
        ("CP-NEW", "operator")]  # the token's user, as the API was called


async def test_pending_charger_boots_pending_until_approved_201(start_server: Any) -> None:
    server = await start_server(unknown_chargers="pending")
    async with charger201(server.address.ocpp, "CS-NEW") as cs:
        assert (await boot201(cs)).status == "Pending"
        await server.trust.admin.set_state("test", "CS-NEW", Registration.ACCEPTED)
        assert (await boot201(cs)).status == "Accepted"


async def test_unknown_ids_are_refused_when_the_server_says_reject(start_server: Any) -> None:
    server = await start_server(unknown_chargers="reject")
    assert await refused_status(server, "CP-STRANGER") == 403
    assert await refusals(server, "CP-STRANGER") == {"unknown-id": 1}
    listed = await api(server, "GET", "/api/v1/registry/chargers", "viewer")
    assert listed["chargers"] == []


async def test_a_rejected_charger_is_cut_off_and_stays_out(start_server: Any) -> None:
    server = await start_server(unknown_chargers="pending")
    async with websockets.connect(f"{server.address.ocpp}/CP-BAD",
                                  subprotocols=["ocpp1.6"]) as ws:
        assert (await exchange(ws, HEARTBEAT))[0] == 3
        await api(server, "POST", "/api/v1/registry/chargers/CP-BAD/reject")
        await asyncio.wait_for(ws.wait_closed(), 30)
        assert ws.close_code == 1008
    assert await refused_status(server, "CP-BAD") == 403
    assert await refusals(server, "CP-BAD") == {"rejected": 1}


# ---- hijacks and flapping ---------------------------------------------------------------------


async def test_a_hijack_is_refused_and_the_real_charger_keeps_its_connection(
        start_server: Any) -> None:
    server = await start_server()
    await register(server, "CP-REAL")
    async with charger16(server.address.ocpp, "CP-REAL", basic_auth("CP-REAL", PASSWORD)) as cp:
        await boot16(cp)
        held = server.central.sessions["CP-REAL"]
        assert await refused_status(server, "CP-REAL") in (401, 403)
        assert await refused_status(
            server, "CP-REAL", basic_auth("CP-REAL", "guessing-the-password!")) in (401, 403)
        assert server.central.sessions["CP-REAL"] is held
        answer = await cp.call(call16.Heartbeat())  # still talking, on the same connection
        assert answer.current_time
        charger = await server.services.store.charger("CP-REAL")
        assert charger is not None and charger.online
    assert await refusals(server, "CP-REAL") == {"missing-password": 1, "bad-password": 1}
    errors = await api(server, "GET", "/api/v1/errors/active")
    assert errors["errors"] == []  # nothing was cleared "by reboot" on its behalf


async def test_devices_fighting_over_one_id_raise_a_notification(start_server: Any) -> None:
    server = await start_server()
    await register(server, "CP-TWIN")
    auth = basic_auth("CP-TWIN", PASSWORD)
    sockets = []
    for _ in range(4):  # each proves itself and replaces the one before: three takeovers
        ws = await websockets.connect(f"{server.address.ocpp}/CP-TWIN",
                                      subprotocols=["ocpp1.6"], additional_headers=auth)
        assert (await exchange(ws, HEARTBEAT))[0] == 3
        sockets.append(ws)
    for replaced in sockets[:-1]:
        await asyncio.wait_for(replaced.wait_closed(), 30)
    assert server.trust.conflicts is not None
    await server.trust.conflicts.drain()
    board = await api(server, "GET", "/api/v1/dashboard", "viewer")
    notices = [(n["code"], n["charger_id"]) for n in board["notifications"]]
    assert ("ChargerIdConflict", "CP-TWIN") in notices
    notice = next(n for n in board["notifications"] if n["code"] == "ChargerIdConflict")
    assert notice["operator_steps"] and notice["severity"] == "warning"
    assert not [e for e in board["errors"] if e["code"] == "ChargerIdConflict"]
    await sockets[-1].close()


async def test_a_message_in_flight_at_a_takeover_is_answered_or_not_stored(
        start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = await start_server()
    await register(server, "CP-SWAP")
    auth = basic_auth("CP-SWAP", PASSWORD)
    url = f"{server.address.ocpp}/CP-SWAP"
    with caplog.at_level(logging.INFO):
        old = await websockets.connect(url, subprotocols=["ocpp1.6"], additional_headers=auth)
        frame = json.dumps([2, "in-flight", "StatusNotification", {
            "connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"}])
        await old.send(frame)
        async with websockets.connect(url, subprotocols=["ocpp1.6"],
                                      additional_headers=auth) as new:
            answers = []
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    answers.append(json.loads(await asyncio.wait_for(old.recv(), 30)))
            assert (await exchange(new, HEARTBEAT))[0] == 3
    answered = [a for a in answers if a[1] == "in-flight"]
    stored = [m for m in await server.services.store.messages("CP-SWAP", limit=100)
              if m.message_id == "in-flight"]
    assert answered or not stored, "stored, but the charger never heard it was"
    if answered:
        assert answered == [[3, "in-flight", {}]]
    assert not [r for r in caplog.records if r.exc_info], "something logged a traceback"


# ---- the first run ----------------------------------------------------------------------------


async def test_the_first_start_prints_a_link_that_makes_the_first_admin(
        start_server: Any) -> None:
    from evfault.cli.serve_cmd import announce_first_run

    server = await start_server()
    said: list[str] = []
    await announce_first_run(server, server.address, said.append)
    (line,) = said
    link = line.split("Open ", 1)[1].split(" ", 1)[0]
    token = link.split("token=", 1)[1]
    async with httpx.AsyncClient() as browser:
        assert (await browser.get(link)).status_code == 200
        made = await browser.post(f"{server.address.http}/login/first",
                                  data={"token": token, "name": "owner",
                                        "password": "the owner's password"})
        assert made.status_code == 303
        assert (await browser.get(f"{server.address.http}/api/v1/audit")).status_code == 200
    said.clear()
    await announce_first_run(server, server.address, said.append)
    assert said == []  # there is a user now: no link


async def test_a_setting_it_cannot_use_is_one_sentence() -> None:
    from evfault.server import Server
    from evfault.settings import Settings

    with pytest.raises(ValueError, match="accept, pending or reject, not 'maybe'"):
        await Server(Settings(unknown_chargers="maybe", port=0)).start()
