"""Several nodes on one PostgreSQL and a real NATS server.

In process first (two Servers in the test's loop: quick, and every path is reachable), then as
the brief has it: two `evfault serve` subprocesses; a charger connected to node A is reset
through node B's API, and node B's live stream shows node A's charger's fault.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from chargers import boot16, boot201, send_status16
from evfault.auth.service import Trust
from evfault.commands.model import CommandStatus
from evfault.server import Server
from evfault.settings import Settings
from nats_support import (
    answers,
    free_port,
    nats_url,  # noqa: F401 - the fixture
)
from obedient import obedient
from test_commands_e2e import arrived
from test_web_support import bearer

pytestmark = pytest.mark.slow


@asynccontextmanager
async def nodes(start_server: Any, bus: str, *names: str) -> AsyncIterator[list[Server]]:
    """Nodes on the test's PostgreSQL (stopped by the fixture)."""
    yield [await start_server(bus=bus, node=name) for name in names]


ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a Server-Sent Events stream."""
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            yield event, orjson.loads(line[6:])


async def first_incident(events: AsyncIterator[tuple[str, Any]], charger_id: str) -> Any:
    async for event, data in events:
        if event == "incident" and data["incident"]["charger_id"] == charger_id:
            return data
    raise AssertionError("the stream ended")


@ON_POSTGRES
async def test_a_command_through_node_b_reaches_node_as_charger(start_server: Any,
                                                                nats_url: str) -> None:  # noqa: F811
    async with nodes(start_server, nats_url, "A", "B") as (a, b), \
            obedient(a.address.ocpp, "CP-ON-A", "1.6") as cp:
        await boot16(cp)
        outcome = await b.services.commander.send("CP-ON-A", "reset", {"type": "hard"},
                                                  actor="ana", timeout=20)
        assert outcome.status is CommandStatus.ACCEPTED, outcome.error
        assert outcome.answer == {"status": "Accepted"} and outcome.node == "A"
        assert cp.received == [("Reset", {"type": "Hard"})]
        cp.hold.clear()
        late = await b.services.commander.send("CP-ON-A", "clear_cache", {}, actor="ana",
                                               timeout=0.5)
        assert late.status is CommandStatus.TIMEOUT
        await arrived(cp, 2)
        cp.hold.set()
        invalid = await b.services.commander.send("CP-ON-A", "reset", {"type": "x"},
                                                  actor="ana")
        assert invalid.status is CommandStatus.INVALID
        assert len(cp.received) == 2  # the invalid one never left node B
        assert a.services is not None and a.services.commander is not None
        history = await a.services.commander.history("CP-ON-A")
    assert [h.status for h in history] == [CommandStatus.INVALID, CommandStatus.TIMEOUT,
                                           CommandStatus.ACCEPTED]


@ON_POSTGRES
async def test_every_nodes_bus_carries_every_chargers_changes(start_server: Any,
                                                              nats_url: str) -> None:  # noqa: F811
    async with nodes(start_server, nats_url, "A", "B") as (a, b):
        assert b.services is not None
        everything = b.services.bus.subscribe()
        local = b.services.bus.subscribe(local_only=True)
        async with obedient(a.address.ocpp, "CP-FAULTY", "1.6") as cp:
            await boot16(cp)
            await send_status16(cp, status="Faulted", errorCode="GroundFailure")
            async with asyncio.timeout(30):
                while True:
                    change = await everything.get()
                    incident = getattr(change, "incident", None)
                    if incident is not None and incident.charger_id == "CP-FAULTY":
                        break
        assert incident.code == "GroundFailure" and incident.active
        assert local.get_nowait() is None  # node B holds no charger: nothing of its own


# ---- two `evfault serve` processes ---------------------------------------------------------


async def serve(pg_url: str, bus: str, node: str) -> tuple[asyncio.subprocess.Process, str]:
    """Start `evfault serve` on port 0; its address, read from what it prints."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evfault", "serve", "--db", pg_url, "--port", "0", "--node", node,
        "--bus", bus, "--unknown-chargers", "accept", "--log-level", "warning", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise AssertionError(f"node {node} stopped before it was running")
            if "evfault is running: dashboard " in line:
                return process, line.split("dashboard ", 1)[1].split("/ ", 1)[0].strip()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        async with asyncio.timeout(30):
            await process.wait()


async def test_two_serve_processes_share_commands_and_events(pg_url: str,
                                                            nats_url: str) -> None:  # noqa: F811
    trust = Trust(Settings(db=pg_url), lambda: __import__("datetime").datetime.now(
        __import__("datetime").UTC))
    await trust.start()
    try:
        token = await bearer(trust, "operator")
    finally:
        await trust.stop()
    node_a, http_a = await serve(pg_url, nats_url, "A")
    node_b, http_b = await serve(pg_url, nats_url, "B")
    headers = {"authorization": f"Bearer {token}"}
    try:
        ocpp_a = http_a.replace("http://", "ws://") + "/ocpp"
        async with obedient(ocpp_a, "CP-A1", "1.6") as cp, \
                httpx.AsyncClient(base_url=http_b, headers=headers, timeout=60) as api_b:
            await boot16(cp)
            reset = await api_b.post("/api/v1/chargers/CP-A1/commands",
                                     json={"command": "reset", "args": {"type": "soft"}})
            assert reset.status_code == 200, reset.text
            assert reset.json()["answer"] == {"status": "Accepted"}
            assert reset.json()["node"] == "A"
            assert cp.received == [("Reset", {"type": "Soft"})]
            async with api_b.stream("GET", "/api/v1/events") as stream:
                events = sse_events(stream)
                assert (await anext(events))[0] == "hello"
                sent = time.monotonic()
                await send_status16(cp, status="Faulted", errorCode="GroundFailure")
                async with asyncio.timeout(30):
                    shown = await first_incident(events, "CP-A1")
                took = time.monotonic() - sent
            assert shown["incident"]["code"] == "GroundFailure"
            print(f"\nnode B's stream showed node A's fault {took * 1000:.0f} ms after it "
                  "was sent")
    finally:
        await stop(node_a)
        await stop(node_b)


# ---- when NATS is away -------------------------------------------------------------------------


def start_nats(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.skip("no nats-server to start and stop")
    process = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not answers("127.0.0.1", port):
        assert time.monotonic() < deadline and process.poll() is None, "nats-server did not start"
        time.sleep(0.05)
    return process


async def test_an_unreachable_bus_is_one_sentence(sqlite_url: str) -> None:
    from test_commands_api import cli

    port = free_port()
    code, _, err = await cli("serve", "--db", sqlite_url, "--port", "0",
                             "--bus", f"nats://127.0.0.1:{port}")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"evfault: Could not reach NATS at nats://127.0.0.1:{port} (TimeoutError); start "
        "nats-server or correct --bus.")


HEARTBEAT = {"message": "Heartbeat"}


@ON_POSTGRES
async def test_nodes_ride_out_a_nats_outage(start_server: Any) -> None:
    port = free_port()
    bus = f"nats://127.0.0.1:{port}"
    nats_server = start_nats(port)
    try:
        async with nodes(start_server, bus, "A", "B") as (a, b), \
                obedient(a.address.ocpp, "CP-OUT", "2.0.1") as cp:
            await boot201(cp)
            assert a.services is not None and b.services is not None
            via_b = b.services.commander
            assert (await via_b.send("CP-OUT", "trigger_message", HEARTBEAT, actor="x",
                                     timeout=20)).status is CommandStatus.ACCEPTED
            nats_server.terminate()
            nats_server.wait(10)
            # Node A still commands its own charger; node B says it cannot, without hanging.
            local = await a.services.commander.send("CP-OUT", "reset", {}, actor="x",
                                                    timeout=20)
            assert local.status is CommandStatus.SCHEDULED
            cut_off = await via_b.send("CP-OUT", "reset", {}, actor="x", timeout=2)
            assert cut_off.status in (CommandStatus.OFFLINE, CommandStatus.TIMEOUT)
            nats_server = start_nats(port)
            async with asyncio.timeout(60):  # both nodes reconnect by themselves
                while (await via_b.send(  # noqa: ASYNC110 - retries a command
                        "CP-OUT", "trigger_message", HEARTBEAT, actor="x", timeout=2)
                       ).status is not CommandStatus.ACCEPTED:
                    await asyncio.sleep(0.5)
    finally:
        nats_server.terminate()
        nats_server.wait(10)
