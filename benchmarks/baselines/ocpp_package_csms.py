"""Baseline: a central system written the standard way with the `ocpp` package.

`@on` handlers, the package's own schema validation, no storage and no decoding: the least a
Python OCPP backend does. Prints `PORT <n>` once listening (port 0 picks a free port).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, RegistrationStatus


class BaselineChargePoint(ChargePoint):  # type: ignore[misc]
    @on(Action.boot_notification)
    def on_boot(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(current_time=datetime.now(UTC).isoformat(),
                                            interval=300, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    @on(Action.status_notification)
    def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()


async def handler(connection: Any) -> None:
    charge_point_id = connection.request.path.strip("/").split("/")[-1]
    try:
        await BaselineChargePoint(charge_point_id, connection).start()
    except websockets.ConnectionClosed:
        return


async def main(port: int) -> None:
    async with websockets.serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"],
                                max_queue=None, ping_interval=None) as server:
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
