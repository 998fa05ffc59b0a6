"""Commands over HTTP and from the CLI: a real server on port 0, an obedient charger answering.

Operators and admins send and read; viewers get 403 and nobody logged out gets anything; a
command that cannot be sent is one sentence (400), one to a charger that is not there a 409.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import httpx
import pytest

from chargers import boot16, boot201
from evfault.auth.sessions import CSRF_HEADER
from obedient import obedient
from test_sites_e2e import matches_schema
from test_web_support import bearer, log_in

pytestmark = pytest.mark.slow


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_an_operator_resets_a_charger_and_reads_the_history(start_server: Any) -> None:
    server = await start_server()
    token = await bearer(server.trust, "operator")
    async with obedient(server.address.ocpp, "CP-API", "1.6") as cp, \
            httpx.AsyncClient(base_url=server.address.http, timeout=60) as http:
        await boot16(cp)
        sent = await http.post("/api/v1/chargers/CP-API/commands", headers=auth(token),
                               json={"command": "reset", "args": {"type": "soft"}})
        assert sent.status_code == 200, sent.text
        body = sent.json()
        assert (body["status"], body["action"], body["answer"]) == (
            "accepted", "Reset", {"status": "Accepted"})
        assert body["payload"] == {"type": "Soft"} and body["duration_ms"] >= 0
        assert cp.received == [("Reset", {"type": "Soft"})]
        history = await http.get("/api/v1/chargers/CP-API/commands", headers=auth(token))
    assert history.status_code == 200
    matches_schema(body, "Command")
    matches_schema(history.json(), "CommandList")
    [one] = history.json()["commands"]
    assert one["id"] == body["id"] and one["status"] == "accepted"
    assert one["actor"].startswith("operator-")


async def test_viewers_and_strangers_may_not(start_server: Any) -> None:
    server = await start_server()
    viewer = await bearer(server.trust, "viewer")
    url = "/api/v1/chargers/CP-1/commands"
    async with httpx.AsyncClient(base_url=server.address.http) as http:
        for response in (await http.post(url, headers=auth(viewer), json={"command": "reset"}),
                         await http.get(url, headers=auth(viewer))):
            assert response.status_code == 403
            assert response.json()["error"].startswith("This needs the operator role")
        assert (await http.post(url, json={"command": "reset"})).status_code == 401
    assert await server.services.commander.history("CP-1") == []


async def test_a_session_must_carry_its_csrf_token(start_server: Any) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.address.http) as http:
        await log_in(http, server.trust, "operator")
        del http.headers[CSRF_HEADER]
        refused = await http.post("/api/v1/chargers/CP-1/commands", json={"command": "reset"})
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]


@pytest.mark.parametrize(("body", "status", "words"), [
    (b"not json", 400, "The body is not JSON"),
    (b'{"args": {}}', 400, "Name the command"),
    (b'{"command": "reset", "args": [1]}', 400, "args must be an object"),
    (b'{"command": "explode"}', 400, "Unknown command 'explode'"),
    (b'{"command": "reset", "args": {"type": "sideways"}}', 400, "type must be one of"),
    (b'{"command": "change_configuration", "args": {"key": "HeartbeatInterval"}}', 400,
     "Give value"),
])
async def test_bad_commands_are_one_sentence(start_server: Any, body: bytes, status: int,
                                             words: str) -> None:
    server = await start_server()
    token = await bearer(server.trust, "operator")
    async with obedient(server.address.ocpp, "CP-B", "2.0.1") as cp, \
            httpx.AsyncClient(base_url=server.address.http) as http:
        await boot201(cp)
        response = await http.post("/api/v1/chargers/CP-B/commands", headers=auth(token),
                                   content=body)
    assert response.status_code == status
    assert words in response.json()["error"]
    assert cp.received == []


async def test_a_charger_that_is_not_connected_is_a_409(start_server: Any) -> None:
    server = await start_server()
    token = await bearer(server.trust, "admin")
    async with httpx.AsyncClient(base_url=server.address.http) as http:
        response = await http.post("/api/v1/chargers/CP-AWAY/commands", headers=auth(token),
                                   json={"command": "unlock_connector",
                                         "args": {"connector_id": 1}})
    assert response.status_code == 409
    assert response.json()["error"] == "CP-AWAY is not connected."
    assert response.json()["command"]["status"] == "offline"
    matches_schema(response.json(), "CommandRefused")


async def cli(*argv: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evfault", *argv, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_cli_sends_commands_and_shows_the_history(start_server: Any) -> None:
    server = await start_server()
    token = await bearer(server.trust, "operator")
    common = ("--url", server.address.http, "--token", token)
    async with obedient(server.address.ocpp, "CP-CLI", "2.0.1") as cp:
        await boot201(cp)
        code, out, err = await cli("command", "CP-CLI", "reset", "--hard", *common, "--json")
        assert code == 0, err
        assert json.loads(out)["answer"] == {"status": "Scheduled"}
        assert cp.received[-1] == ("Reset", {"type": "Immediate"})
        code, out, _ = await cli("command", "CP-CLI", "trigger-message", "--message",
                                 "StatusNotification", "--connector", "1", *common)
        assert code == 0 and "trigger_message by operator-" in out and ": accepted" in out
        code, out, err = await cli("command", "CP-CLI", "unlock-connector", "--connector",
                                   "1", *common)
        assert code == 1 and ": failed" in out  # the charger's UnlockFailed
        code, out, err = await cli("command", "CP-CLI", "reset", "--soft", "--hard", *common)
        assert code == 2 and err.strip() == "evfault: Choose --soft or --hard, not both."
        code, out, err = await cli("command", "CP-CLI", "history", *common)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3 and "unlock_connector" in lines[0] and "reset" in lines[2]
    code, _, err = await cli("command", "CP-CLI", "reset", "--url", server.address.http,
                             "--token", "evf_wrong")
    assert code == 2 and err.startswith("evfault: Log in first")
