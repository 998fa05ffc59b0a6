"""The allocation core: never more than the fuse, and each fallback rule of seed 002."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evfault.sites.allocate import allocate
from evfault.sites.model import (
    ChargerSpec,
    ChargerState,
    Reading,
    Site,
    SourceSpec,
    SourceState,
)

C, IDLE, OFF, F = (ChargerState.CHARGING, ChargerState.IDLE, ChargerState.OFFLINE,
                   ChargerState.FAULTED)
METER = SourceSpec(url="modbus://127.0.0.1:5020", fallback_a=50)
EMS = SourceSpec(url="modbus://127.0.0.1:5021", fallback_a=100)


def three(fallback: float | None = 6, **site: object) -> Site:
    chargers = tuple(ChargerSpec(f"CP{n}", 32, fallback) for n in (1, 2, 3))
    return Site(**{"id": "depot", "fuse_limit_a": 63, "chargers": chargers, **site})  # type: ignore[arg-type]


def online(value: float) -> Reading:
    return Reading(SourceState.ONLINE, value)


# ---- sharing ----------------------------------------------------------------------------------

def test_three_charging_share_the_fuse_equally() -> None:
    result = allocate(three(), {"CP1": C, "CP2": C, "CP3": C})
    assert [s.allocated_a for s in result.shares] == [21.0, 21.0, 21.0]
    assert result.headroom_a == pytest.approx(0)


def test_a_charger_never_gets_more_than_its_maximum() -> None:
    result = allocate(three(), {"CP1": C, "CP2": IDLE, "CP3": F})
    assert result.share("CP1").allocated_a == 32  # type: ignore[union-attr]
    assert result.share("CP2").allocated_a == 0  # type: ignore[union-attr]
    assert result.share("CP3").allocated_a == 0  # type: ignore[union-attr]
    assert result.headroom_a == 31


def test_a_connector_that_cannot_get_its_minimum_is_paused_not_starved() -> None:
    site = three(fuse_limit_a=16)
    result = allocate(site, {"CP1": C, "CP2": C, "CP3": C})
    assert [s.allocated_a for s in result.shares] == [8.0, 8.0, 0.0]
    assert [s.paused for s in result.shares] == [False, False, True]


def test_nothing_fits_everyone_paused() -> None:
    result = allocate(three(fuse_limit_a=5), {"CP1": C, "CP2": C, "CP3": C})
    assert all(s.paused and s.allocated_a == 0 for s in result.shares)


def test_limits_are_rounded_down_to_a_tenth() -> None:
    result = allocate(three(fuse_limit_a=64), {"CP1": C, "CP2": C, "CP3": C})
    assert [s.allocated_a for s in result.shares] == [21.3, 21.3, 21.3]


def test_dc_minimum_is_its_own() -> None:
    site = Site("dc", 40, chargers=(ChargerSpec("DC1", 100, None, min_current_a=0, dc=True),
                                    ChargerSpec("AC1", 32, 6)))
    result = allocate(site, {"DC1": C, "AC1": C})
    assert [s.allocated_a for s in result.shares] == [20.0, 20.0]


# ---- the seed's fallback rules, one test each ---------------------------------------------------

def test_offline_station_with_fallback_has_its_fallback_deducted() -> None:
    """'If fallback is enabled, the fallback setting (e.g., 6 A per phase) is deducted from the
    fuse limit during offline periods.'"""
    result = allocate(three(), {"CP1": C, "CP2": C, "CP3": OFF})
    assert result.share("CP3").reserved_a == 6  # type: ignore[union-attr]
    assert [s.allocated_a for s in result.shares[:2]] == [28.5, 28.5]


def test_offline_station_without_fallback_has_its_capacity_deducted() -> None:
    """'Without fallback, the station's maximum capacity (e.g., 32 A per phase) is deducted
    instead.'"""
    result = allocate(three(fallback=None), {"CP1": C, "CP2": C, "CP3": OFF})
    assert result.share("CP3").reserved_a == 32  # type: ignore[union-attr]
    assert [s.allocated_a for s in result.shares[:2]] == [15.5, 15.5]


def test_malfunctioning_offline_station_still_has_its_fallback_deducted() -> None:
    """'If you can't charge on an offline station due to a technical issue, the fallback value
    will still be deducted from the fuse limit if fallback is enabled.' A station that was
    faulted when it went offline is offline: evfault cannot know it stopped charging."""
    result = allocate(three(), {"CP1": C, "CP2": IDLE, "CP3": OFF})
    assert result.share("CP3").reserved_a == 6  # type: ignore[union-attr]
    assert result.share("CP1").allocated_a == 32  # type: ignore[union-attr]


def test_capacity_set_to_zero_reserves_nothing() -> None:
    """'If fallback isn't activated, you can set the station's capacity to 0 A in settings ...
    setting capacity to 0 A assumes no charging occurs.'"""
    site = Site("s", 63, chargers=(ChargerSpec("CP1", 32, 6), ChargerSpec("CP2", 32, 6),
                                   ChargerSpec("CP3", 0, None)))
    result = allocate(site, {"CP1": C, "CP2": C, "CP3": OFF})
    assert result.share("CP3").reserved_a == 0  # type: ignore[union-attr]
    assert result.allocated_a == 63


def test_a_charger_never_heard_from_counts_as_offline() -> None:
    """'ChargePilot assumes the charging session continues and reserves the charging power.'"""
    result = allocate(three(), {"CP1": C, "CP2": C})
    assert result.share("CP3").state is OFF
    assert result.share("CP3").reserved_a == 6  # type: ignore[union-attr]


@pytest.mark.parametrize("state", [SourceState.OFFLINE, SourceState.UNKNOWN])
def test_ems_lost_applies_its_fallback_limit(state: SourceState) -> None:
    """'ChargePilot assumes the maximum current available based on the predefined fallback
    value for the EMS' — offline, or unknown while the controller is cut off."""
    site = three(fuse_limit_a=125, ems=EMS)
    live = allocate(site, {"CP1": C, "CP2": C, "CP3": C}, ems=online(40))
    assert (live.limit_a, live.limit_source, live.allocated_a) == (40, "ems", pytest.approx(39.9))
    lost = allocate(site, {"CP1": C, "CP2": C, "CP3": C}, ems=Reading(state))
    assert (lost.limit_a, lost.limit_source) == (100, "ems-fallback")
    assert lost.allocated_a == pytest.approx(96, abs=0.3)


def test_ems_never_raises_the_limit_above_the_fuse() -> None:
    result = allocate(three(ems=EMS), {"CP1": C}, ems=Reading(SourceState.OFFLINE))
    assert (result.limit_a, result.limit_source) == (63, "fuse")


@pytest.mark.parametrize("state", [SourceState.OFFLINE, SourceState.UNKNOWN])
def test_meter_lost_assumes_its_fallback_consumption(state: SourceState) -> None:
    """'ChargePilot assumes the meter's fallback value (e.g., 50 A) as the maximum power
    consumption. This fallback value is deducted from the total available power.'"""
    site = three(fuse_limit_a=100, meter=METER)
    lost = allocate(site, {"CP1": C, "CP2": C, "CP3": C}, meter=Reading(state))
    assert (lost.metered_a, lost.meter_source) == (50, "meter-fallback")
    assert [s.allocated_a for s in lost.shares] == [16.6, 16.6, 16.6]


def test_load_management_uses_live_values_again_once_the_meter_is_back() -> None:
    """'Load management will continue using this fallback value until the meter connection is
    restored.'"""
    site = three(fuse_limit_a=100, meter=METER)
    back = allocate(site, {"CP1": C, "CP2": C, "CP3": C}, meter=online(10))
    assert (back.metered_a, back.meter_source) == (10, "meter")
    assert [s.allocated_a for s in back.shares] == [30.0, 30.0, 30.0]


def test_metered_load_and_reservations_together_can_pause_everyone() -> None:
    site = three(meter=METER)
    result = allocate(site, {"CP1": C, "CP2": C, "CP3": OFF}, meter=online(55))
    assert [s.allocated_a for s in result.shares] == [0, 0, 0]
    assert result.headroom_a == pytest.approx(2)


def test_an_exporting_building_does_not_raise_the_limit() -> None:
    result = allocate(three(meter=METER), {"CP1": C}, meter=online(-20))
    assert result.metered_a == 0 and result.share("CP1").allocated_a == 32  # type: ignore[union-attr]


def test_an_offline_charger_keeps_its_last_limit_reserved_until_its_profile_runs_out() -> None:
    result = allocate(three(), {"CP1": C, "CP2": C, "CP3": OFF}, held={"CP3": 21})
    assert result.share("CP3").reserved_a == 21  # type: ignore[union-attr]
    assert [s.allocated_a for s in result.shares[:2]] == [21.0, 21.0]


def test_a_charger_that_refuses_limits_has_its_capacity_reserved_while_charging() -> None:
    result = allocate(three(), {"CP1": C, "CP2": C, "CP3": C}, uncontrolled={"CP3"})
    assert (result.share("CP3").reserved_a, result.share("CP3").allocated_a) == (32, 0)  # type: ignore[union-attr]
    assert [s.allocated_a for s in result.shares[:2]] == [15.5, 15.5]
    idle = allocate(three(), {"CP1": C, "CP2": C, "CP3": IDLE}, uncontrolled={"CP3"})
    assert idle.share("CP3").reserved_a == 0  # type: ignore[union-attr]


# ---- the property: never more than the limit ---------------------------------------------------

amps = st.floats(min_value=0, max_value=400, allow_nan=False, allow_infinity=False)
charger_specs = st.builds(
    ChargerSpec, id=st.just(""), max_current_a=st.floats(0, 125),
    fallback_current_a=st.none() | st.floats(0, 32),
    min_current_a=st.sampled_from([0.0, 6.0, 10.0]),
)


def readings() -> st.SearchStrategy[Reading | None]:
    return st.none() | st.builds(Reading, st.sampled_from(list(SourceState)),
                                 st.none() | st.floats(-100, 400))


@st.composite
def sites_and_states(draw: st.DrawFn) -> tuple[Site, dict[str, ChargerState], Reading | None,
                                               Reading | None, dict[str, float], set[str]]:
    specs = draw(st.lists(charger_specs, max_size=12))
    chargers = tuple(ChargerSpec(f"CP{n}", s.max_current_a, s.fallback_current_a,
                                 s.min_current_a) for n, s in enumerate(specs))
    site = Site("s", draw(amps), chargers=chargers,
                meter=draw(st.none() | st.builds(SourceSpec, st.just("modbus://h:1"),
                                                 fallback_a=amps)),
                ems=draw(st.none() | st.builds(SourceSpec, st.just("modbus://h:2"),
                                               fallback_a=amps)))
    states = {c.id: draw(st.sampled_from(list(ChargerState))) for c in chargers
              if draw(st.integers(0, 4))}  # some never heard from
    held = {c.id: draw(st.floats(0, 80)) for c in chargers if draw(st.booleans())}
    uncontrolled = {c.id for c in chargers if not draw(st.integers(0, 5))}
    return site, states, draw(readings()), draw(readings()), held, uncontrolled


@settings(max_examples=600, deadline=None)
@given(sites_and_states())
def test_allocations_reservations_and_metered_load_never_exceed_the_limit(
        case: tuple[Site, dict[str, ChargerState], Reading | None, Reading | None,
                    dict[str, float], set[str]]) -> None:
    site, states, meter, ems, held, uncontrolled = case
    result = allocate(site, states, meter=meter, ems=ems, held=held, uncontrolled=uncontrolled)
    assert result.limit_a <= site.fuse_limit_a
    if not result.overloaded:
        assert result.allocated_a + result.reserved_a + result.metered_a <= result.limit_a + 1e-9
    else:  # the load nobody can switch off is over: nobody else gets anything
        assert result.allocated_a == 0
    for share, charger in zip(result.shares, site.chargers, strict=True):
        assert share.allocated_a == 0 or charger.min_current_a <= share.allocated_a
        assert share.allocated_a <= charger.max_current_a
        assert share.allocated_a == 0 or share.state is C
        assert share.reserved_a == 0 or share.state is OFF or charger.id in uncontrolled
        assert share.allocated_a == 0 or charger.id not in uncontrolled
