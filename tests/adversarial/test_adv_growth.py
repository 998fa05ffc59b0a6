"""Growth: the raw log is pruned by age and by size (incidents kept), one charger's bad frames
are logged within a quota and cut short, and its CALLERRORs are logged once a minute, not once
per frame. Figures: after pruning, no frame older than `log_retention_days` and at most
`log_retention_rows` per table; a 1 MB bad frame adds at most `max_bad_frame_log` characters."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
import websockets

from evfault.store.model import MessageRow, StatusEventRow, WriteBatch

pytestmark = pytest.mark.slow


async def test_the_raw_log_is_pruned_by_age_and_size_and_incidents_stay(
        start_server: Any) -> None:
    server = await start_server(log_retention_days=1, log_retention_rows=150)
    store = server.services.store
    now = server.services.clock()
    old = [now - timedelta(days=3, seconds=i) for i in range(100, 0, -1)]
    recent = [now - timedelta(hours=1, seconds=i) for i in range(200, 0, -1)]
    await store.write(WriteBatch(
        messages=[MessageRow("CP-OLD", "in", at, f"frame {n}") for n, at in
                  enumerate([*old, *recent])],
        status_events=[StatusEventRow("CP-OLD", 1, "Faulted", "OtherError", None, None, None,
                                      None, at) for at in [*old, *recent]]))
    async with websockets.connect(f"{server.address.ocpp}/CP-KEEP",
                                  subprotocols=["ocpp1.6"]) as ws:
        await ws.send(json.dumps([2, "s", "StatusNotification", {
            "connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"}]))
        assert json.loads(await ws.recv())[0] == 3
    await server.retention.run_once()
    kept = await store.messages("CP-OLD", limit=1000)
    assert 140 <= len(kept) < 150  # the newest 150 rows of the table, CP-KEEP's among them
    assert all(m.at > now - timedelta(days=1) for m in kept)
    assert len(await store.status_events("CP-OLD", limit=1000)) <= 150
    assert [i.code for i in await store.active_incidents("CP-KEEP")] == ["GroundFailure"]
    assert server.retention.deleted >= 100 + 100


async def test_one_chargers_bad_frames_cost_the_log_little(
        start_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = await start_server(max_bad_frames_per_hour=20, max_bad_frame_log=1000)
    store = server.services.store
    with caplog.at_level(logging.WARNING, logger="evfault.ocpp"):
        async with websockets.connect(f"{server.address.ocpp}/CP-NOISY",
                                      subprotocols=["ocpp1.6"], max_size=None) as ws:
            for _ in range(100):
                await ws.send("x" * 200_000)  # 20 MB of garbage in all
                answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
                assert answer[0] == 4
    logged = await store.messages("CP-NOISY", limit=1000)
    assert len(logged) == 2 * 20  # the frame and its answer, for the first 20 only
    assert sum(len(m.raw) for m in logged) < 20 * (1000 + 200)
    assert server.central.path.counters.unlogged_bad_frames == 80
    lines = [r for r in caplog.records if "answered CALLERROR" in r.getMessage()]
    assert len(lines) == 1  # one line a minute, however many bad frames
