"""A small central system built with the `ocpp` package, for the simulator's tests.

It answers every message the virtual chargers send (validating each against the package's own
JSON schemas, so a malformed message fails the exchange) and records every frame per charger.
It is a helper module, not tests: the simulator tests import it.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from websockets.asyncio.server import ServerConnection, serve


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Recording:
    """The connection the ocpp ChargePoint reads and writes, recording the charger's frames
    (all of them, and this connection's alone) with the time each arrived."""

    def __init__(self, ws: ServerConnection, frames: list[list[Any]], times: list[float],
                 this_connection: list[list[Any]]) -> None:
        self.ws = ws
        self.frames = frames
        self.times = times
        self.this_connection = this_connection

    async def recv(self) -> str:
        raw = await self.ws.recv()
        text = raw if isinstance(raw, str) else raw.decode()
        frame = json.loads(text)
        self.frames.append(frame)
        self.this_connection.append(frame)
        self.times.append(asyncio.get_running_loop().time())
        return text

    async def send(self, message: str) -> None:
        await self.ws.send(message)


class Csms16(ChargePoint16):
    interval = 300
    transactions = 0

    @on(Action16.boot_notification)
    def on_boot(self, **_: Any) -> result16.BootNotification:
        return result16.BootNotification(current_time=_now(), interval=self.interval,
                                         status="Accepted")

    @on(Action16.heartbeat)
    def on_heartbeat(self) -> result16.Heartbeat:
        return result16.Heartbeat(current_time=_now())

    @on(Action16.status_notification)
    def on_status(self, **_: Any) -> result16.StatusNotification:
        return result16.StatusNotification()

    @on(Action16.authorize)
    def on_authorize(self, **_: Any) -> result16.Authorize:
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action16.start_transaction)
    def on_start(self, **_: Any) -> result16.StartTransaction:
        Csms16.transactions += 1
        return result16.StartTransaction(transaction_id=Csms16.transactions,
                                         id_tag_info={"status": "Accepted"})

    @on(Action16.stop_transaction)
    def on_stop(self, **_: Any) -> result16.StopTransaction:
        return result16.StopTransaction()

    @on(Action16.meter_values)
    def on_meter(self, **_: Any) -> result16.MeterValues:
        return result16.MeterValues()


class Csms201(ChargePoint201):
    interval = 300

    @on(Action201.boot_notification)
    def on_boot(self, **_: Any) -> result201.BootNotification:
        return result201.BootNotification(current_time=_now(), interval=self.interval,
                                          status="Accepted")

    @on(Action201.heartbeat)
    def on_heartbeat(self) -> result201.Heartbeat:
        return result201.Heartbeat(current_time=_now())

    @on(Action201.status_notification)
    def on_status(self, **_: Any) -> result201.StatusNotification:
        return result201.StatusNotification()

    @on(Action201.notify_event)
    def on_event(self, **_: Any) -> result201.NotifyEvent:
        return result201.NotifyEvent()

    @on(Action201.authorize)
    def on_authorize(self, **_: Any) -> result201.Authorize:
        return result201.Authorize(id_token_info={"status": "Accepted"})

    @on(Action201.transaction_event)
    def on_transaction(self, **_: Any) -> result201.TransactionEvent:
        return result201.TransactionEvent()


@dataclass
class CentralSystem:
    """Serves both versions on one port; `frames[charger_id]` holds every frame it received."""

    interval: int = 300
    url: str = ""
    frames: dict[str, list[list[Any]]] = field(default_factory=lambda: defaultdict(list))
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_connection: dict[str, list[list[list[Any]]]] = field(
        default_factory=lambda: defaultdict(list))
    points: dict[str, ChargePoint16 | ChargePoint201] = field(default_factory=dict)

    async def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        charger_id = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        self.by_connection[charger_id].append([])
        recording = Recording(ws, self.frames[charger_id], self.times[charger_id],
                              self.by_connection[charger_id][-1])
        point: ChargePoint16 | ChargePoint201
        if ws.subprotocol == "ocpp2.0.1":
            point = Csms201(charger_id, recording, response_timeout=60)
        else:
            point = Csms16(charger_id, recording, response_timeout=60)
        point.interval = self.interval  # type: ignore[union-attr]
        self.points[charger_id] = point
        with suppress(websockets.ConnectionClosed):
            await point.start()

    def calls(self, charger_id: str, action: str | None = None) -> list[dict[str, Any]]:
        """Payloads of the CALLs a charger sent, in order (one action only, if given)."""
        return [f[3] for f in self.frames[charger_id]
                if f[0] == 2 and (action is None or f[2] == action)]

    def actions(self, charger_id: str) -> list[str]:
        return [f[2] for f in self.frames[charger_id] if f[0] == 2]

    def arrival(self, charger_id: str, action: str, nth: int = 0) -> float:
        """When the n-th CALL of `action` from the charger arrived (loop time)."""
        found = [t for f, t in zip(self.frames[charger_id], self.times[charger_id], strict=True)
                 if f[0] == 2 and f[2] == action]
        return found[nth]

    def all_lines(self) -> list[str]:
        """Every recorded frame as a log line (`charger-id frame`), for the checker."""
        return [f"{cid} {json.dumps(frame)}" for cid, frames in self.frames.items()
                for frame in frames]


@asynccontextmanager
async def central_system(interval: int = 300) -> AsyncIterator[CentralSystem]:
    """A running central system on 127.0.0.1, port 0 (the OS picks a free one)."""
    system = CentralSystem(interval=interval)
    async with serve(system.handle, "127.0.0.1", 0,
                     subprotocols=["ocpp1.6", "ocpp2.0.1"]) as server:  # type: ignore[list-item]
        port = next(iter(server.sockets)).getsockname()[1]
        system.url = f"ws://127.0.0.1:{port}/ocpp"
        yield system


async def wait_for(predicate: Callable[[], bool], within: float = 60.0) -> None:
    """Poll until `predicate()` holds (10 ms steps); fail the test after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {predicate}")
        await asyncio.sleep(0.01)
