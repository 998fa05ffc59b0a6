"""A reconnect storm: while the server's event loop lags, new boots are told to come back later.

The lag is real (the test blocks the loop the server runs on); no timing is asserted beyond
what a slower machine only makes more true.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from chargers import boot16, boot201, charger16, charger201
from evfault.ocpp.load import BUSY_RETRY_S, LoadWatch, busy_retry_interval


async def wait_until_calm(watch: LoadWatch) -> None:
    async with asyncio.timeout(120):
        while watch.busy:  # noqa: ASYNC110 - the watch decays on its own timer
            await asyncio.sleep(0.1)


async def stall_the_loop_until(calm: asyncio.Event) -> None:
    """Block the event loop for a second in every turn, as a storm's work would."""
    while not calm.is_set():
        time.sleep(1.0)  # noqa: ASYNC251 - the point: the loop is stuck, its timers fire late
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(120):
        while not condition():  # noqa: ASYNC110 - the watch and the server change it
            await asyncio.sleep(0.05)


async def test_the_watch_measures_how_late_the_loop_wakes_and_forgets_it() -> None:
    watch = LoadWatch(limit_s=0.5)
    watch.start()
    try:
        await asyncio.sleep(0.25)
        time.sleep(1.5)  # noqa: ASYNC251 - the point: the loop is stuck, its timers fire late
        # The watch's late timer runs in one of the next turns of the loop; look at every turn
        # (a fixed sleep here let a busy machine's slow turns decay the lag before the look).
        async with asyncio.timeout(60):
            while watch.lag < 1.0:  # noqa: ASYNC110 - the watch updates it on its timer
                await asyncio.sleep(0)
        assert watch.busy
        await wait_until_calm(watch)
        assert not watch.busy
    finally:
        await watch.stop()


def test_a_deferred_boot_comes_back_within_the_spread_the_same_for_the_same_charger() -> None:
    intervals = {busy_retry_interval(f"CP-{i}") for i in range(500)}
    low, high = BUSY_RETRY_S
    assert min(intervals) >= low and max(intervals) <= high
    assert len(intervals) > (high - low) // 2  # spread out, not one wave
    assert busy_retry_interval("CP-7") == busy_retry_interval("CP-7")


def test_a_watch_without_a_limit_is_never_busy() -> None:
    watch = LoadWatch(limit_s=0)
    watch.lag = 100.0
    assert not watch.busy


async def test_boots_are_pending_while_the_loop_lags_and_accepted_once_it_keeps_up(
        start_server: Any) -> None:
    server = await start_server(boot_defer_lag=0.5)
    async with charger16(server.address.ocpp, "STORM-16") as cp, \
            charger201(server.address.ocpp, "STORM-201") as cs:
        await wait_until_calm(server.central.load)
        # A storm's worth of work on the server's loop, lasting until both boots were judged:
        # one single stall could decay before a busy machine got the boots to the server.
        calm = asyncio.Event()
        storm = asyncio.create_task(stall_the_loop_until(calm))
        try:
            await until(lambda: server.central.load.busy)
            boots = asyncio.gather(boot16(cp), boot201(cs))
            await until(lambda: server.central.load.deferred == 2)
        finally:
            calm.set()
            await storm
        first, second = await boots
        assert first.status == "Pending"
        assert first.interval == busy_retry_interval("STORM-16")
        assert second.status == "Pending"
        assert server.central.load.deferred == 2
        await wait_until_calm(server.central.load)
        assert (await boot16(cp)).status == "Accepted"
        assert (await boot201(cs)).status == "Accepted"
