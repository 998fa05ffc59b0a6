"""The demo's buttons work: the simulated chargers `evfault demo` runs answer every button.

The demo's own server and fleet, in process: each command the charger page offers goes to a
simulated charger of each OCPP version and comes back with its answer (no timeout, no error).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from evfault.commands.model import CommandStatus
from evfault.sim.fleet import run_fleet
from evfault.sim.scenario import load_scenario

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

BUTTONS: list[tuple[str, dict[str, Any]]] = [
    ("reset", {"type": "soft"}),
    ("trigger_message", {"message": "StatusNotification"}),
    ("trigger_message", {"message": "Heartbeat"}),
    ("clear_cache", {}),
    ("change_availability", {"available": False, "connector_id": 0}),
    ("change_availability", {"available": True, "connector_id": 0}),
    ("unlock_connector", {"connector_id": 1}),
    ("reset", {"type": "hard"}),
]


async def test_every_button_gets_the_simulated_chargers_answer(start_server: Any) -> None:
    server = await start_server()
    address = server.address
    stop = asyncio.Event()
    # The demo's chargers without its scripted and random outages: a reboot or a dropped
    # connection in the middle of the buttons would make a command find the charger offline.
    scenario = replace(load_scenario("demo"), chargers=10, opening=(), reboots=None,
                       disconnects=None)
    fleet = asyncio.create_task(run_fleet(address.ocpp, scenario, 1, stop))
    try:
        assert server.central is not None and server.services is not None
        versions: dict[str, str] = {}
        async with asyncio.timeout(60):
            while len(set(versions.values())) < 2:
                versions = {cid: s.version for cid, s in server.central.sessions.items()}
                await asyncio.sleep(0.1)
        commander = server.services.commander
        assert commander is not None
        for charger_id in [min(c for c, v in versions.items() if v == version)
                           for version in ("1.6", "2.0.1")]:
            for command, args in BUTTONS:
                before = server.central.sessions.get(charger_id)
                outcome = await commander.send(charger_id, command, args, actor="demo",
                                               timeout=20)
                assert outcome.status in (CommandStatus.ACCEPTED, CommandStatus.SCHEDULED), (
                    charger_id, versions[charger_id], command, outcome.status, outcome.answer,
                    outcome.error)
                if command == "reset":  # the simulated charger reboots: wait till it is back
                    async with asyncio.timeout(90):
                        while server.central.sessions.get(charger_id) in (None, before):  # noqa: ASYNC110
                            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await fleet
