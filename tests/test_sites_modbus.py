"""Meters and EMS over Modbus TCP, read from a real pymodbus server on port 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.sim.modbus import ModbusDevice
from evfault.sites.modbus import ModbusReader, SourceError, SourceMonitor, register_value
from evfault.sites.model import Reading, SourceSpec, SourceState


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def meter() -> AsyncIterator[ModbusDevice]:
    device = ModbusDevice(unit=1)
    await device.start()
    yield device
    await device.stop()


def spec_for(device: ModbusDevice, **extra: object) -> SourceSpec:
    return SourceSpec(**{"url": device.url, "unit": device.unit, "register": 0, "scale": 0.1,
                         "fallback_a": 50, "interval_s": 0.1, "grace_s": 10, **extra})  # type: ignore[arg-type]


async def test_a_reading_is_the_register_times_its_scale(meter: ModbusDevice) -> None:
    meter.set_amps(23.4)
    reader = ModbusReader(spec_for(meter))
    try:
        assert await reader.read() == pytest.approx(23.4)
        meter.set_register(5, 0xFFF6)  # -10 as a signed word
        signed = ModbusReader(spec_for(meter, register=5, signed=True, scale=1.0))
        assert await signed.read() == -10
        signed.close()
    finally:
        reader.close()


async def test_input_registers_and_two_word_values(meter: ModbusDevice) -> None:
    meter.set_register(10, 1)
    meter.set_register(11, 0x86A0)  # 100000
    reader = ModbusReader(spec_for(meter, register=10, words=2, kind="input", scale=0.001))
    try:
        assert await reader.read() == pytest.approx(100.0)
    finally:
        reader.close()


async def test_a_wrong_unit_is_an_error_that_names_it(meter: ModbusDevice) -> None:
    reader = ModbusReader(spec_for(meter, unit=7))
    try:
        with pytest.raises(SourceError, match="unit 7 answered with an exception"):
            await reader.read()
    finally:
        reader.close()


async def test_offline_only_after_the_grace_and_online_again_when_it_answers(
        meter: ModbusDevice) -> None:
    clock, changes = Clock(), []
    monitor = SourceMonitor("meter", spec_for(meter), clock, lambda: changes.append(1))
    meter.set_amps(12.5)
    try:
        assert monitor.reading.state is SourceState.UNKNOWN  # nothing read yet
        assert await monitor.poll() == Reading(SourceState.ONLINE, pytest.approx(12.5))
        await meter.stop()
        clock.advance(5)
        assert (await monitor.poll()).state is SourceState.ONLINE  # within the grace
        assert "cannot connect" in (monitor.problem or "") or "no answer" in (monitor.problem or "")
        clock.advance(6)
        assert await monitor.poll() == Reading(SourceState.OFFLINE)
        meter.set_amps(7)
        await meter.start()  # back on the same port
        clock.advance(1)
        assert await monitor.poll() == Reading(SourceState.ONLINE, pytest.approx(7.0))
        assert len(changes) == 3  # online, offline, online again
    finally:
        await monitor.stop()


async def test_a_source_never_reached_is_offline_after_its_grace(meter: ModbusDevice) -> None:
    clock = Clock()
    await meter.stop()
    monitor = SourceMonitor("ems", spec_for(meter), clock)
    try:
        assert (await monitor.poll()).state is SourceState.UNKNOWN
        clock.advance(11)
        assert (await monitor.poll()).state is SourceState.OFFLINE
    finally:
        await monitor.stop()


async def test_the_monitor_polls_at_its_interval_by_itself(meter: ModbusDevice) -> None:
    woke = asyncio.Event()
    monitor = SourceMonitor("meter", spec_for(meter), lambda: datetime.now(UTC), woke.set)
    meter.set_amps(3)
    monitor.start()
    try:
        await asyncio.wait_for(woke.wait(), 30)
        assert monitor.reading == Reading(SourceState.ONLINE, pytest.approx(3.0))
        before = meter.reads
        await wait_until(lambda: meter.reads >= before + 2)
    finally:
        await monitor.stop()


async def wait_until(check: Callable[[], bool], within: float = 30.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - the server counts reads; nothing to await
            await asyncio.sleep(0.02)


@given(st.integers(0, 0xFFFFFFFF), st.sampled_from([1, 2]), st.booleans())
def test_register_values_round_trip(raw: int, words: int, signed: bool) -> None:
    raw &= (1 << (16 * words)) - 1
    registers = [(raw >> 16) & 0xFFFF, raw & 0xFFFF] if words == 2 else [raw]
    spec = SourceSpec("modbus://h:1", scale=1.0, words=words, signed=signed)
    expected = raw - (1 << 16 * words) if signed and raw >= 1 << (16 * words - 1) else raw
    assert register_value(registers, spec) == expected
