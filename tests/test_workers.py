"""`evfault serve --workers N`: one port, N processes, each a node of its own (real subprocesses).

Runs on SQLite and PostgreSQL: chargers land on both workers and every message is stored; the
first-run link works whichever worker a request reaches; a worker that dies is started again;
SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ocpp.v16 import call as call16

from chargers import boot16, charger16, send_status16
from nats_support import nats_url  # noqa: F401 - the fixture
from obedient import obedient
from test_nodes import first_incident, sse_events
from test_web_support import bearer

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(__import__("socket"), "SO_REUSEPORT"),
                                 reason="SO_REUSEPORT is not available here")]

RUNNING = re.compile(r"evfault is running \((\d+) workers\): dashboard (\S+)/ .* OCPP (\S+)/\{")
TOKEN = re.compile(r"/login/first\?token=(\S+) ")


class Running:
    def __init__(self, process: subprocess.Popen[str], lines: list[str]) -> None:
        self.process = process
        self.lines = lines
        found = RUNNING.search(lines[-1])
        assert found, lines
        self.count, self.http, self.ocpp = int(found.group(1)), found.group(2), found.group(3)

    def next_line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the server stopped: {self.lines}"
        self.lines.append(line.rstrip("\n"))
        return self.lines[-1]

    def workers(self) -> list[int]:
        return [int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                .read_text().split()]


@pytest.fixture
def serve_workers(nats_url: str, tmp_path: Path) -> Iterator[Any]:  # noqa: F811
    started: list[subprocess.Popen[str]] = []

    def start(db_url: str, *extra: str) -> Running:
        command = [sys.executable, "-m", "evfault", "serve", "--port", "0", "--db", db_url,
                   "--unknown-chargers", "accept", "--log-level", "warning",
                   "--bus", nats_url, *extra]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        started.append(process)
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or "evfault is running" not in lines[-1]:
            line = process.stdout.readline()
            assert line, f"the server stopped before it listened: {lines}"
            lines.append(line.rstrip("\n"))
        return Running(process, lines)

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


async def report_fault(ocpp_url: str, charger_id: str) -> None:
    async with charger16(ocpp_url, charger_id) as cp:
        await boot16(cp)
        await cp.call(call16.StatusNotification(
            connector_id=1, error_code="OtherError", status="Faulted",
            vendor_id="com.evgo.mrec", vendor_error_code="F001", info="1.11"))


async def stored_chargers(db_url: str) -> list[Any]:
    from evfault.store.sql import open_store

    store = open_store(db_url)
    await store.start()
    try:
        return list(await store.chargers())
    finally:
        await store.close()


async def test_chargers_spread_over_the_workers_and_every_fault_is_stored(
        serve_workers: Any, db_url: str) -> None:
    server = serve_workers(db_url, "--workers", "2")
    assert server.count == 2 and len(server.workers()) == 2
    ids = [f"WK-{i:02d}" for i in range(16)]
    await asyncio.gather(*(report_fault(server.ocpp, i) for i in ids))
    rows = {row.charger_id: row for row in await stored_chargers(db_url)}
    assert set(ids) <= set(rows)
    nodes = {rows[i].node for i in ids}
    assert len(nodes) == 2 and all(n and n.endswith(("-w0", "-w1")) for n in nodes), nodes


async def test_the_first_run_link_works_on_every_worker(serve_workers: Any,
                                                        sqlite_url: str) -> None:
    server = serve_workers(sqlite_url, "--workers", "2")
    while not (found := TOKEN.search(server.next_line())):
        pass
    token = found.group(1)
    for _ in range(10):  # a new connection each time: the kernel picks a worker for each
        async with httpx.AsyncClient() as client:
            page = await client.get(f"{server.http}/login/first", params={"token": token})
        assert page.status_code == 200, page.text[:200]


async def test_a_worker_that_dies_is_started_again(serve_workers: Any,
                                                   sqlite_url: str) -> None:
    server = serve_workers(sqlite_url, "--workers", "2")
    before = server.workers()
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = server.workers()
        if len(now) == 2 and before[0] not in now:
            break
        await asyncio.sleep(0.2)
    else:
        pytest.fail(f"the dead worker was not replaced: {before} -> {server.workers()}")
    await report_fault(server.ocpp, "WK-AFTER")  # and the port serves chargers still


def test_sigterm_stops_every_worker(serve_workers: Any, sqlite_url: str) -> None:
    server = serve_workers(sqlite_url, "--workers", "2")
    workers = server.workers()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(120) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_busy_port_is_one_sentence(serve_workers: Any, sqlite_url: str, tmp_path: Path,
                                     nats_url: str) -> None:  # noqa: F811
    server = serve_workers(sqlite_url, "--workers", "2")
    port = server.http.rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-m", "evfault", "serve", "--workers", "2",
                           "--port", port, "--db", sqlite_url, "--bus", nats_url],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f":{port}" in done.stderr and "another --port" in done.stderr


def test_workers_without_a_bus_are_one_sentence(sqlite_url: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "evfault", "serve", "--workers", "2",
                           "--port", "0", "--db", sqlite_url], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "--workers 2 needs --bus" in done.stderr


async def test_commands_and_live_events_reach_every_worker(serve_workers: Any,
                                                           pg_url: str) -> None:
    """Each request on a new connection lands on either worker; every one must work."""
    from evfault.auth.service import Trust
    from evfault.settings import Settings

    server = serve_workers(pg_url, "--workers", "2")
    trust = Trust(Settings(db=pg_url), lambda: __import__("datetime").datetime.now(
        __import__("datetime").UTC))
    await trust.start()
    try:
        token = await bearer(trust, "operator")
    finally:
        await trust.stop()
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with obedient(server.ocpp, "WK-CMD", "1.6") as cp, \
            httpx.AsyncClient(base_url=server.http, limits=fresh, timeout=60,
                              headers={"authorization": f"Bearer {token}"}) as api:
        await boot16(cp)
        for _ in range(8):  # with two workers, about half of these cross between them
            reset = await api.post("/api/v1/chargers/WK-CMD/commands",
                                   json={"command": "reset", "args": {"type": "soft"}})
            assert reset.status_code == 200, reset.text
            assert reset.json()["answer"] == {"status": "Accepted"}
        assert len(cp.received) == 8
        streams = [api.stream("GET", "/api/v1/events") for _ in range(6)]
        opened = [await stream.__aenter__() for stream in streams]
        try:
            readers = [sse_events(response) for response in opened]
            for reader in readers:
                assert (await anext(reader))[0] == "hello"
            await send_status16(cp, status="Faulted", errorCode="GroundFailure")
            async with asyncio.timeout(60):
                shown = await asyncio.gather(*(first_incident(r, "WK-CMD") for r in readers))
        finally:
            for stream in streams:
                await stream.__aexit__(None, None, None)
        assert all(s["incident"]["code"] == "GroundFailure" for s in shown)
