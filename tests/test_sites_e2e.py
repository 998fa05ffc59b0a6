"""Sites end to end: a real server on port 0, real OCPP chargers, the API's picture of the site."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from accounts import api_token
from chargers import boot16, send_status16
from evfault.sim.modbus import ModbusDevice
from site_chargers import site_charger

pytestmark = pytest.mark.slow


def site_file(tmp_path: Path, **extra: Any) -> str:
    site = {"id": "depot", "name": "Depot", "fuse_limit_a": 63, "phases": 3,
            "chargers": [{"id": f"CP{n}", "max_current_a": 32, "fallback_current_a": 6}
                         for n in (1, 2, 3)], **extra}
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [site]}))
    return str(path)


async def get(server: Any, path: str, role: str = "viewer") -> Any:
    token = await api_token(server, role)
    async with httpx.AsyncClient(base_url=server.address.http,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - polls the server's state
            await asyncio.sleep(0.05)


def metered(runtime: Any, amps: float, source: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        a = runtime.allocation
        return (a.metered_a, a.meter_source) == (pytest.approx(amps), source)
    return check


def allocated(runtime: Any, charger_id: str, amps: float) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        share = runtime.allocation.share(charger_id)
        return share is not None and share.allocated_a == amps
    return check


async def test_the_api_shows_each_chargers_share_and_the_offline_reservation(
        start_server: Any, tmp_path: Path) -> None:
    server = await start_server(sites=site_file(tmp_path))
    runtime = server.sites.runtimes["depot"]
    async with site_charger(server.address.ocpp, "CP1") as cp1, \
            site_charger(server.address.ocpp, "CP2") as cp2:
        for cp in (cp1, cp2):
            await boot16(cp)
            await send_status16(cp, status="Charging")

        async def both_charging() -> bool:
            return [s.allocated_a for s in runtime.allocation.shares] == [28.5, 28.5, 0.0]
        await eventually(both_charging)
        view = await get(server, "/api/v1/sites/depot")
    assert view["limit_a"] == 63 and view["limit_source"] == "fuse"
    assert [(c["id"], c["state"], c["allocated_a"], c["reserved_a"]) for c in view["chargers"]] == [
        ("CP1", "charging", 28.5, 0.0), ("CP2", "charging", 28.5, 0.0),
        ("CP3", "offline", 0.0, 6.0)]
    assert view["headroom_a"] == 0
    listing = await get(server, "/api/v1/sites")
    assert [s["id"] for s in listing["sites"]] == ["depot"]
    matches_schema(view, "Site")
    matches_schema(listing, "SiteList")


def matches_schema(body: Any, schema: str) -> None:
    from openapi_schema_validator import OAS30Validator

    from evfault.web.openapi import document

    OAS30Validator({"$ref": f"#/components/schemas/{schema}", **document()}).validate(body)


async def test_the_meter_is_read_and_its_fallback_assumed_while_it_is_gone(
        start_server: Any, tmp_path: Path) -> None:
    meter = ModbusDevice()
    await meter.start()
    meter.set_amps(20.0)
    source = {"url": meter.url, "unit": 1, "register": 0, "scale": 0.1, "fallback_a": 50,
              "interval_s": 0.1, "grace_s": 0.5}
    server = await start_server(sites=site_file(tmp_path, meter=source))
    runtime = server.sites.runtimes["depot"]
    try:
        async with site_charger(server.address.ocpp, "CP1") as cp1:
            await boot16(cp1)
            await send_status16(cp1, status="Charging")

            await eventually(metered(runtime, 20.0, "meter"))
            await eventually(allocated(runtime, "CP1", 31.0))  # 63 - 20 metered - 2 × 6 reserved
            view = await get(server, "/api/v1/sites/depot")
            assert view["meter"]["state"] == "online"
            assert view["meter"]["value_a"] == pytest.approx(20.0)
            await meter.stop()
            await eventually(metered(runtime, 50.0, "meter-fallback"))
            # 63 - 50 (meter fallback) - 12 (two offline chargers' fallback) = 1 A: paused.
            await eventually(allocated(runtime, "CP1", 0.0))
            assert (await get(server, "/api/v1/sites/depot"))["meter"]["state"] == "offline"
            meter.set_amps(5.0)
            await meter.start()
            await eventually(metered(runtime, 5.0, "meter"))
            await eventually(allocated(runtime, "CP1", 32.0))
    finally:
        await meter.stop()


async def test_an_unknown_site_is_one_sentence(start_server: Any, tmp_path: Path) -> None:
    server = await start_server(sites=site_file(tmp_path))
    token = await api_token(server, "viewer")
    async with httpx.AsyncClient(base_url=server.address.http,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        response = await client.get("/api/v1/sites/nowhere")
        anonymous = await client.get("/api/v1/sites", headers={"authorization": ""})
    assert response.status_code == 404
    assert response.json()["error"].startswith("There is no site 'nowhere'")
    assert anonymous.status_code == 401
