"""The simulator's site: a scripted Modbus meter, and chargers whose current follows profiles."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymodbus.client import AsyncModbusTcpClient

from evfault.catalog.catalog import default_catalog
from evfault.errors import UserError
from evfault.sim.charger import VirtualCharger
from evfault.sim.scenario import parse_scenario
from evfault.sim.site import SiteDevices, parse_site, value_at
from evfault.sim.state import Phase
from evfault.sim.stats import FleetStats
from evfault.sites.profiles import limit_profile

pytestmark = pytest.mark.slow


def test_a_script_says_the_value_or_off_at_each_moment() -> None:
    script = parse_site({"meter": {"script": [[0, 20], [10, "off"], [20, 5]]}}, "s")
    assert script is not None and script.meter is not None
    steps = script.meter.steps
    assert [value_at(steps, t) for t in (0, 9.9, 10, 19, 20, 99)] == [20, 20, None, None, 5, 5]


@pytest.mark.parametrize(("raw", "says"), [
    ({"meter": {"script": []}}, r"list of \[seconds, amperes\]"),
    ({"meter": {"script": [[0, -1]]}}, "at least 0"),
    ({"meter": {"script": [[0, 1]], "port": 70000}}, "port must be"),
    ({"pv": {}}, "a meter and/or an ems"),
])
def test_script_mistakes_are_one_sentence(raw: Any, says: str) -> None:
    with pytest.raises(UserError, match=says):
        parse_site(raw, "s")


async def read_amps(url: str) -> float | None:
    host, port = url.removeprefix("modbus://").rsplit(":", 1)
    client = AsyncModbusTcpClient(host, port=int(port), timeout=1, retries=0)
    try:
        if not await client.connect():
            return None
        answer = await client.read_holding_registers(0, count=1, device_id=1)
        return None if answer.isError() else answer.registers[0] * 0.1
    finally:
        client.close()


async def test_the_scripted_meter_answers_drops_out_and_comes_back() -> None:
    script = parse_site({"meter": {"script": [[0, 20], [0.5, "off"], [1.0, 7.5]]}}, "s")
    assert script is not None
    site = SiteDevices(script)
    urls = await site.start()
    try:
        assert await read_amps(urls["meter"]) == pytest.approx(20)
        async with asyncio.timeout(30):
            while await read_amps(urls["meter"]) is not None:  # noqa: ASYNC110 - polls a device
                await asyncio.sleep(0.05)
            while (await read_amps(urls["meter"])) != pytest.approx(7.5):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await site.stop()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_simulated_charger_obeys_the_limit_it_is_sent(version: str) -> None:
    from datetime import UTC, datetime

    scenario = parse_scenario({"name": "t", "chargers": 1, "protocol": version,
                               "connectors": [1]})
    charger = VirtualCharger(0, "SIM1", "ws://x/ocpp", scenario, 1, FleetStats(),
                             default_catalog())
    connector = charger.connectors[1]
    connector.phase, connector.power_w = Phase.CHARGING, 22_080.0  # 32 A on three phases
    assert charger.current_a(connector) == pytest.approx(32)
    key = "csChargingProfiles" if version == "1.6" else "chargingProfile"
    profile = limit_profile(version, 10.0, datetime.now(UTC), 120)
    answer = charger.dialect.answer(charger, "SetChargingProfile",
                                    {"connectorId" if version == "1.6" else "evseId": 0,
                                     key: profile})
    assert answer == {"status": "Accepted"}
    assert charger.current_a(connector) == pytest.approx(10)
