"""The liveness probe: a quiet charger is asked for a Heartbeat before it counts as offline.

A real server on port 0 with a short heartbeat interval; the `ocpp` package's ChargePoints
never heartbeat by themselves. One answers the probe's TriggerMessage and stays online through
many silence windows; one answers nothing and goes offline as silent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chargers import boot16, boot201
from evfault.commands.model import CommandStatus
from evfault.ocpp.liveness import ACTOR
from obedient import obedient

pytestmark = pytest.mark.slow

QUIET = {"heartbeat_interval": 1, "silence_heartbeats": 2.0, "liveness_probe": 1.0}


async def probes(server: Any, charger_id: str) -> list[Any]:
    history = await server.services.commander.history(charger_id, limit=500)
    return [h for h in history if h.actor == ACTOR]


async def went_offline(server: Any, charger_id: str) -> list[Any]:
    return [c for c in await server.services.store.connectivity(charger_id) if not c.online]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_quiet_charger_that_answers_the_probe_stays_online(start_server: Any,
                                                                  version: str) -> None:
    server = await start_server(**QUIET)
    async with obedient(server.address.ocpp, "CP-QUIET", version) as cp:
        await (boot16(cp) if version == "1.6" else boot201(cp))
        async with asyncio.timeout(60):
            while len(await probes(server, "CP-QUIET")) < 3:  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.1)
        # Three silence windows (2 s each) have passed without a message of its own.
        assert server.central.tracker.online("CP-QUIET") is True
        assert all(a == "TriggerMessage" for a, _ in cp.received)
    answered = await probes(server, "CP-QUIET")
    assert {p.status for p in answered[1:]} == {CommandStatus.ACCEPTED}
    assert answered[-1].payload["requestedMessage"] == "Heartbeat"
    assert await went_offline(server, "CP-QUIET") == []


async def test_a_charger_that_answers_nothing_goes_offline_as_silent(start_server: Any) -> None:
    server = await start_server(**QUIET)
    async with obedient(server.address.ocpp, "CP-MUTE", "1.6") as cp:
        await boot16(cp)
        cp.hold.clear()  # from now on it answers nothing
        async with asyncio.timeout(60):
            while not (silent := await went_offline(server, "CP-MUTE")):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert silent[0].reason == "silent"
        [probe] = await probes(server, "CP-MUTE")
        assert probe.status is CommandStatus.TIMEOUT
        assert [a for a, _ in cp.received] == ["TriggerMessage"]


async def test_no_probe_when_switched_off(start_server: Any) -> None:
    server = await start_server(**{**QUIET, "liveness_probe": 0})
    async with obedient(server.address.ocpp, "CP-OFF", "1.6") as cp:
        await boot16(cp)
        async with asyncio.timeout(60):
            while not await went_offline(server, "CP-OFF"):  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.05)
        assert cp.received == []
    assert await probes(server, "CP-OFF") == []
