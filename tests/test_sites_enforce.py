"""Enforcement: the allocation reaches real OCPP chargers as charging profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.v201 import call as call201

from chargers import boot16, boot201, send_status16
from evfault.sites.enforce import EnforceConfig, Enforcer, Sent
from evfault.sites.model import ChargerState, Share
from evfault.sites.profiles import limit_of, limit_profile
from site_chargers import site_charger
from test_sites_e2e import eventually, get, site_file

pytestmark = pytest.mark.slow

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


async def charging201(cp: Any) -> None:
    await cp.call(call201.StatusNotification(timestamp=T0.isoformat(), connector_status="Occupied",
                                             evse_id=1, connector_id=1))


async def test_three_chargers_get_limits_that_sum_to_no_more_than_the_fuse(
        start_server: Any, tmp_path: Path) -> None:
    server = await start_server(sites=site_file(tmp_path))
    async with site_charger(server.address.ocpp, "CP1") as cp1, \
            site_charger(server.address.ocpp, "CP2") as cp2, \
            site_charger(server.address.ocpp, "CP3", "2.0.1") as cp3:
        await boot16(cp1)
        await boot16(cp2)
        await boot201(cp3)
        await send_status16(cp1, status="Charging")
        await send_status16(cp2, status="Charging")
        await charging201(cp3)

        async def all_limited() -> bool:
            return [cp.limit_a for cp in (cp1, cp2, cp3)] == [21.0, 21.0, 21.0]
        await eventually(all_limited)
        for cp in (cp1, cp2, cp3):
            assert cp.levels[0] == 6  # the charger's own fallback, stack level 0
        assert cp1.purposes[:2] == ["ChargePointMaxProfile", "ChargePointMaxProfile"]
        assert cp3.purposes[0] == "ChargingStationMaxProfile"
        view = await get(server, "/api/v1/sites/depot")
        assert [c["sent_a"] for c in view["chargers"]] == [21.0, 21.0, 21.0]
        assert {c["profile_answer"] for c in view["chargers"]} == {"accepted"}
        history = await get(server, "/api/v1/chargers/CP1/commands", "operator")
        assert any(c["command"] == "set_charging_profile" and c["status"] == "accepted"
                   for c in history["commands"])


async def test_a_charger_that_refuses_profiles_is_flagged_and_its_capacity_reserved(
        start_server: Any, tmp_path: Path) -> None:
    server = await start_server(sites=site_file(tmp_path))
    async with site_charger(server.address.ocpp, "CP1") as cp1, \
            site_charger(server.address.ocpp, "CP2") as cp2, \
            site_charger(server.address.ocpp, "CP3", refuse=True) as cp3:
        for cp in (cp1, cp2, cp3):
            await boot16(cp)
            await send_status16(cp, status="Charging")

        async def flagged() -> bool:
            return cp1.limit_a == 15.5 and cp2.limit_a == 15.5
        await eventually(flagged)
        view = await get(server, "/api/v1/sites/depot")
    cp3_view = view["chargers"][2]
    assert cp3_view["refuses_profiles"] and cp3_view["reserved_a"] == 32
    # It was offered both kinds a 1.6 charger may take before it was flagged.
    assert {"ChargePointMaxProfile", "TxDefaultProfile"} <= set(cp3.purposes)


async def test_the_chargers_own_fallback_setting_is_set_where_the_site_names_its_key(
        start_server: Any, tmp_path: Path) -> None:
    chargers = [{"id": "CP1", "max_current_a": 32, "fallback_current_a": 6,
                 "fallback_key": "FallbackCurrent"}]
    server = await start_server(sites=site_file(tmp_path, chargers=chargers))
    async with site_charger(server.address.ocpp, "CP1") as cp1:
        await boot16(cp1)
        await send_status16(cp1, status="Charging")

        async def configured() -> bool:
            return cp1.config == {"FallbackCurrent": "6"} and cp1.limit_a == 32
        await eventually(configured)
        view = await get(server, "/api/v1/sites/depot")
    assert view["chargers"][0]["fallback_config"] == "accepted"
    assert view["config"]["chargers"][0]["fallback_key"] == "FallbackCurrent"


# ---- the dead band and the order of sending (no network) -----------------------------------------

class Clock:
    now = T0

    def __call__(self) -> datetime:
        return self.now


def enforcer_with(sent: float | None, dead_band: float = 1.0) -> Enforcer:
    services: Any = type("S", (), {"clock": Clock(), "commander": None})()
    enforcer = Enforcer(services, EnforceConfig(dead_band_a=dead_band, hold_s=120))
    if sent is not None:
        enforcer.sent["CP1"] = Sent(sent, T0, T0 + timedelta(seconds=120))
    return enforcer


@pytest.mark.parametrize(("sent", "now_a", "due"), [
    (None, 10.0, True),  # never sent
    (20.0, 20.5, False),  # a rise within the dead band
    (20.0, 21.5, True),  # beyond it
    (20.0, 19.9, True),  # any fall, at once
    (20.0, 20.0, False),
])
def test_a_limit_is_sent_when_it_falls_or_rises_beyond_the_dead_band(
        sent: float | None, now_a: float, due: bool) -> None:
    share = Share("CP1", ChargerState.CHARGING, allocated_a=now_a)
    assert enforcer_with(sent).due(share, T0 + timedelta(seconds=10)) is due


def test_a_limit_is_renewed_before_its_profile_runs_out() -> None:
    share = Share("CP1", ChargerState.CHARGING, allocated_a=20.0)
    enforcer = enforcer_with(20.0)
    assert not enforcer.due(share, T0 + timedelta(seconds=59))
    assert enforcer.due(share, T0 + timedelta(seconds=61))
    assert enforcer.held(T0 + timedelta(seconds=119)) == {"CP1": 20.0}
    assert enforcer.held(T0 + timedelta(seconds=121)) == {}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_profiles_read_back_as_the_limit_they_carry(version: str) -> None:
    profile = limit_profile(version, 17.66, T0, 120)
    key = "csChargingProfiles" if version == "1.6" else "chargingProfile"
    assert limit_of(version, {key: profile}) == 17.7
