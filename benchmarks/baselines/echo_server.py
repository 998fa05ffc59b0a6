"""The ceiling: a raw WebSocket server that sends every frame straight back.

No parsing, no validation, no storage: what one Python process and the `websockets` library
can do at most. Prints `PORT <n>` once listening.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import websockets


async def echo(connection: Any) -> None:
    try:
        async for message in connection:
            await connection.send(message)
    except websockets.ConnectionClosed:
        return


async def main(port: int) -> None:
    async with websockets.serve(echo, "127.0.0.1", port, subprotocols=["ocpp1.6"],
                                max_queue=None, ping_interval=None) as server:
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
