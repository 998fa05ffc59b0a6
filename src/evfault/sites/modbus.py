"""Meters and EMS over Modbus TCP: poll a register, scale it, and say whether the source answers.

A source that stops answering keeps its last reading for its grace period (a lost packet is not
an outage), then is offline and the site falls back. Until its first answer after evfault
starts it is unknown: nobody knows what it would say.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from evfault.sites.model import Reading, SourceSpec, SourceState

log = logging.getLogger("evfault.sites")
# pymodbus logs every refused connection at ERROR; evfault says once when a source goes and comes.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


STOP_WAIT_S = 5.0


async def stop_task(task: asyncio.Task[None]) -> None:
    """Cancel and wait a bounded time: a Modbus connect in flight may swallow the first cancel."""
    for _ in range(3):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=STOP_WAIT_S / 3)
        if done:
            with suppress(asyncio.CancelledError, Exception):
                task.result()
            return
    log.warning("%s did not stop in %g s; left behind", task.get_name(), STOP_WAIT_S)


class SourceError(Exception):
    """The source did not give a usable value; the message says why (for the log and the API)."""


def register_value(registers: Sequence[int], spec: SourceSpec) -> float:
    """The registers' value in amperes: one word or two (high word first), signed or not."""
    raw = 0
    for word in registers[:spec.words]:
        raw = (raw << 16) | (word & 0xFFFF)
    bits = 16 * spec.words
    if spec.signed and raw >= 1 << (bits - 1):
        raw -= 1 << bits
    return raw * spec.scale


class ModbusReader:
    """One Modbus TCP connection to a source, opened again whenever it was lost."""

    def __init__(self, spec: SourceSpec, timeout: float | None = None) -> None:
        self.spec = spec
        self.timeout = timeout if timeout is not None else max(0.5, min(3.0, spec.interval_s))
        self._client: AsyncModbusTcpClient | None = None

    async def read(self) -> float:
        client = await self._connected()
        spec = self.spec
        read = (client.read_input_registers if spec.kind == "input"
                else client.read_holding_registers)
        try:
            answer = await read(spec.register, count=spec.words, device_id=spec.unit)
        except (ModbusException, OSError) as exc:
            self.close()
            raise SourceError(f"no answer from {spec.url} ({exc})") from None
        if answer.isError():
            raise SourceError(f"{spec.url} unit {spec.unit} answered with an exception "
                              f"({getattr(answer, 'exception_code', '?')})")
        return register_value(answer.registers, spec)

    async def _connected(self) -> AsyncModbusTcpClient:
        if self._client is not None and self._client.connected:
            return self._client
        self.close()
        # No retries and no automatic reconnect: the poller's interval is the retry.
        client = AsyncModbusTcpClient(self.spec.host, port=self.spec.port, timeout=self.timeout,
                                      retries=0, reconnect_delay=0)
        if not await client.connect():
            client.close()
            raise SourceError(f"cannot connect to {self.spec.url}")
        self._client = client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class SourceMonitor:
    """Polls one source at its interval and keeps its reading (online, offline or unknown)."""

    def __init__(self, name: str, spec: SourceSpec, clock: Callable[[], datetime],
                 on_change: Callable[[], None] = lambda: None,
                 reader: ModbusReader | None = None) -> None:
        self.name = name
        self.spec = spec
        self.clock = clock
        self.on_change = on_change
        self.reader = reader or ModbusReader(spec)
        self.reading = Reading(SourceState.UNKNOWN)
        self.last_ok_at: datetime | None = None
        self.started_at = clock()
        self.problem: str | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.spec.grace_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"evfault-source-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
        self.reader.close()

    async def poll(self) -> Reading:
        """Read once and update the reading; tell `on_change` when it changed."""
        now = self.clock()
        try:
            value = await self.reader.read()
        except SourceError as exc:
            new = self._failed(str(exc), now)
        else:
            self.last_ok_at, self.problem = now, None
            new = Reading(SourceState.ONLINE, value)
        if new != self.reading:
            self._log_transition(new)
            self.reading = new
            self.on_change()
        return new

    def _failed(self, problem: str, now: datetime) -> Reading:
        self.problem = problem
        since = self.last_ok_at or self.started_at
        if now - since <= self.grace:
            return self.reading  # a missed answer within the grace changes nothing
        return Reading(SourceState.OFFLINE)

    def _log_transition(self, new: Reading) -> None:
        if new.state is not self.reading.state:
            if new.state is SourceState.OFFLINE:
                log.warning("%s %s offline: %s; its fallback of %g A applies", self.name,
                            self.spec.url, self.problem, self.spec.fallback_a)
            elif new.state is SourceState.ONLINE:
                log.info("%s %s answers again", self.name, self.spec.url)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception:  # a bug in one poll must not end the monitoring
                log.exception("polling %s %s failed", self.name, self.spec.url)
            await asyncio.sleep(self.spec.interval_s)
