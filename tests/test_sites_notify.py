"""Which of the seed's platform notifications a site's state raises (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from evfault.sites.allocate import allocate
from evfault.sites.manager import SiteRuntime
from evfault.sites.model import (
    ChargerSpec,
    ChargerState,
    Reading,
    Site,
    SourceSpec,
    SourceState,
)
from evfault.sites.notify import conditions

C, OFF = ChargerState.CHARGING, ChargerState.OFFLINE
SITE = Site("depot", 63, chargers=(ChargerSpec("CP1", 32, 6), ChargerSpec("CP2", 32, None)),
            meter=SourceSpec("modbus://m:502", fallback_a=50),
            ems=SourceSpec("modbus://e:502", fallback_a=100))
ONLINE = Reading(SourceState.ONLINE, 10)
GONE = Reading(SourceState.OFFLINE)


def raised(states: dict[str, ChargerState], meter: Reading, ems: Reading) -> dict[str, object]:
    runtime = SiteRuntime(SITE, lambda: datetime.now(UTC))
    runtime.monitors["meter"].reading = meter
    runtime.monitors["ems"].reading = ems
    runtime.look(states)
    runtime.allocation = allocate(SITE, runtime.states, runtime.meter, runtime.ems)
    return {f"{code}:{subject}": orjson.loads(info)
            for (code, subject), info in conditions(runtime).items()}


def test_all_well_raises_nothing() -> None:
    assert raised({"CP1": C, "CP2": C}, ONLINE, ONLINE) == {}


def test_station_offline_says_what_is_deducted() -> None:
    assert raised({"CP1": OFF, "CP2": C}, ONLINE, ONLINE) == {
        "ChargerOffline:CP1": {"amps": 6.0, "action": "reserved", "kind": "fallback"}}
    assert raised({"CP1": C, "CP2": OFF}, ONLINE, ONLINE) == {
        "ChargerOffline:CP2": {"amps": 32.0, "action": "reserved", "kind": "capacity"}}


def test_ems_and_meter_offline_say_which_fallback_applies() -> None:
    assert raised({"CP1": C, "CP2": C}, GONE, GONE) == {
        "MeterOffline:": {"amps": 50.0, "action": "assumed"},
        "EmsOffline:": {"amps": 100.0, "action": "limit"}}


def test_everything_silent_is_the_controller_and_the_sources_are_unknown() -> None:
    got = raised({"CP1": OFF, "CP2": OFF}, GONE, GONE)
    assert set(got) == {"ChargerOffline:CP1", "ChargerOffline:CP2", "ControllerOffline:",
                        "MeterUnknown:", "EmsUnknown:"}
    assert got["MeterUnknown:"] == {"amps": 50.0, "action": "assumed"}


def test_one_source_still_answering_means_the_link_is_up() -> None:
    got = raised({"CP1": OFF, "CP2": OFF}, GONE, ONLINE)
    assert "ControllerOffline:" not in got and "MeterOffline:" in got
