"""A simulated site's meter and EMS: real Modbus TCP servers whose values a scenario scripts.

    site:
      meter: {port: 5020, scale: 0.1, script: [[0, 20], [60, 35], [120, off], [180, 20]]}
      ems:   {port: 5021, scale: 0.1, script: [[0, 100]]}

Each step is [seconds after the start, amperes] — or `off`: the device leaves the network (a
meter dropping out) until a later step brings it back on the same port. Port 0 picks a free
one; the URLs are logged and kept on the fleet's stats, for the site file's `url:`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evfault.errors import UserError
from evfault.sim.modbus import ModbusDevice

log = logging.getLogger("evfault.sim")

Step = tuple[float, float | None]  # (seconds, amperes or None: off the network)


@dataclass(frozen=True, slots=True)
class SourceScript:
    steps: tuple[Step, ...]
    port: int = 0
    unit: int = 1
    register: int = 0
    scale: float = 0.1


@dataclass(frozen=True, slots=True)
class SiteScript:
    meter: SourceScript | None = None
    ems: SourceScript | None = None

    def sources(self) -> dict[str, SourceScript]:
        return {n: s for n, s in (("meter", self.meter), ("ems", self.ems)) if s is not None}


def _step(where: str, raw: Any) -> Step:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise UserError(f"{where} must be [seconds, amperes] or [seconds, off].")
    at, value = raw
    if isinstance(at, bool) or not isinstance(at, int | float) or at < 0:
        raise UserError(f"{where}: the time must be a number of seconds of at least 0.")
    if value in ("off", None, False):
        return float(at), None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UserError(f"{where}: the value must be amperes (at least 0) or off.")
    return float(at), float(value)


def _source(where: str, raw: Any) -> SourceScript:
    if not isinstance(raw, Mapping):
        raise UserError(f"{where} must be a mapping with a script.")
    unknown = sorted(set(raw) - {"port", "unit", "register", "scale", "script"})
    if unknown:
        raise UserError(f"{where} has an unknown key {unknown[0]!r}.")
    script = raw.get("script")
    if not isinstance(script, list) or not script:
        raise UserError(f"{where}.script must be a list of [seconds, amperes] steps.")
    steps = tuple(sorted(_step(f"{where}.script[{i}]", s) for i, s in enumerate(script)))
    numbers = {k: raw.get(k, d) for k, d in (("port", 0), ("unit", 1), ("register", 0))}
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            raise UserError(f"{where}.{key} must be a whole number from 0 to 65535.")
    scale = raw.get("scale", 0.1)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or scale <= 0:
        raise UserError(f"{where}.scale must be a positive number.")
    return SourceScript(steps, numbers["port"], numbers["unit"], numbers["register"],
                        float(scale))


def parse_site(raw: Any, origin: str) -> SiteScript | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not set(raw) <= {"meter", "ems"}:
        raise UserError(f"{origin}: site holds a meter and/or an ems, each with a script.")
    return SiteScript(**{name: _source(f"{origin}: site.{name}", value)
                         for name, value in raw.items()})


def value_at(steps: tuple[Step, ...], seconds: float) -> float | None:
    """The scripted value at a moment: the last step at or before it (off before the first)."""
    current: float | None = None
    for at, value in steps:
        if at > seconds:
            break
        current = value
    return current


class SiteDevices:
    """The scenario's meter and EMS as running Modbus servers, played along the script."""

    def __init__(self, script: SiteScript, host: str = "127.0.0.1") -> None:
        self.script = script
        self.devices = {name: ModbusDevice(s.unit, host, s.port)
                        for name, s in script.sources().items()}
        self._task: asyncio.Task[None] | None = None

    @property
    def urls(self) -> dict[str, str]:
        return {name: device.url for name, device in self.devices.items()}

    async def start(self) -> dict[str, str]:
        await self._apply(0.0)
        self._task = asyncio.create_task(self._play(), name="sim:site")
        for name, url in self.urls.items():
            log.info("simulated site %s at %s", name, url)
        return self.urls

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for device in self.devices.values():
            await device.stop()

    async def _apply(self, seconds: float) -> None:
        for name, source in self.script.sources().items():
            device, value = self.devices[name], value_at(source.steps, seconds)
            if value is None:
                await device.stop()
                continue
            device.set_amps(value, source.register, source.scale)
            if not device.running:
                await device.start()

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        moments = sorted({at for s in self.script.sources().values() for at, _ in s.steps})
        for at in moments:
            await asyncio.sleep(max(0.0, started + at - loop.time()))
            await self._apply(at)
