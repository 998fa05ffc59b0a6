"""Nothing acknowledged is ever lost: SIGKILL the server under load, then read the database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable

import pytest
import websockets

from evfault.store.sql import open_store

pytestmark = pytest.mark.slow

CHARGERS = 20
KILL_AFTER_ACKS = 300  # acknowledged messages before the kill: the writer is mid-stream by then
LOAD_START_S = 300.0  # generous: a machine at load 20 still gets there


async def until_acknowledged(acked: dict[str, list[str]], count: int) -> None:
    """Wait until the server has acknowledged `count` messages in all (a bound, not a sleep)."""
    deadline = asyncio.get_running_loop().time() + LOAD_START_S
    while sum(len(ids) for ids in acked.values()) < count:
        assert asyncio.get_running_loop().time() < deadline, "the load never got going"
        await asyncio.sleep(0.02)


def start_server_process(db_url: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "evfault", "serve", "--port", "0", "--db", db_url,
         "--log-level", "warning"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"OCPP (ws://\S+)/\{chargePointId\}", line)
    if not match:
        process.kill()
        raise AssertionError(f"server did not announce itself: {line!r}")
    return process, match.group(1)


async def hammer(url: str, charger_id: str, acked: list[str], stop: asyncio.Event) -> None:
    """Send StatusNotifications back to back; remember every message id the server answered."""
    try:
        async with websockets.connect(f"{url}/{charger_id}", subprotocols=["ocpp1.6"]) as ws:
            n = 0
            while not stop.is_set():
                n += 1
                message_id = f"{charger_id}-{n}"
                code = "F001,F003" if n % 3 else "F009"
                await ws.send(json.dumps([2, message_id, "StatusNotification", {
                    "connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
                    "vendorId": "com.evgo.mrec", "vendorErrorCode": code, "info": f"1.{n % 10}"
                }]))
                answer = json.loads(await ws.recv())
                if answer[0] == 3:
                    acked.append(message_id)
    except (websockets.ConnectionClosed, OSError):
        return  # the server was killed mid-exchange: the unanswered message was never acked


async def test_sigkill_under_load_loses_no_acknowledged_message(db_url: str) -> None:
    process, url = start_server_process(db_url)
    acked: dict[str, list[str]] = {f"CP-K{i}": [] for i in range(CHARGERS)}
    stop = asyncio.Event()
    tasks = [asyncio.create_task(hammer(url, cid, ids, stop)) for cid, ids in acked.items()]
    # Kill once the load is going, however long a busy machine takes to get there.
    await sigkill_under_load(process, until_acknowledged(acked, KILL_AFTER_ACKS), stop, tasks)
    total = sum(len(ids) for ids in acked.values())
    assert total >= KILL_AFTER_ACKS, "the load never got going"
    await assert_all_stored(db_url, acked, incidents=True)


async def sigkill_under_load(process: subprocess.Popen[str], loaded: Awaitable[object],
                             stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """SIGKILL the server once `loaded` is done, then stop the load (clients see the drop)."""
    try:
        await loaded
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        if process.poll() is None:
            process.kill()


async def assert_all_stored(db_url: str, acked: dict[str, list[str]],
                            incidents: bool = False) -> None:
    """Every acknowledged message id of every charger is in the database."""
    store = open_store(db_url)
    await store.start()
    try:
        for charger_id, ids in acked.items():
            rows = await store.messages(charger_id, limit=1_000_000)
            stored = {r.message_id for r in rows if r.direction == "in"}
            missing = [i for i in ids if i not in stored]
            assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {missing[:3]}"
        if incidents:
            assert await store.active_incidents()  # tracked state was stored with the messages
    finally:
        await store.close()
