"""Yardstick: evfault's central system on its former transport, uvicorn + an ASGI WebSocket route.

The same CentralSystem, store and web app as `evfault serve`, served the way evfault was until
its own transport (evfault.net) replaced it: uvicorn with ws="websockets-sansio" and the OCPP
endpoint as a Starlette WebSocketRoute. Kept only to measure the two side by side.

    python benchmarks/baselines/uvicorn_evfault.py PORT DB_URL   (prints `PORT <n>` when ready)
"""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import unquote

import uvicorn
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from evfault.bus import InProcessBus
from evfault.catalog.catalog import default_catalog
from evfault.context import Services
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.endpoint import SUBPROTOCOLS, charger_id_problem
from evfault.ocpp.session import Session
from evfault.server import run, tune_gc
from evfault.settings import Settings
from evfault.store.sql import open_store
from evfault.web.app import create_app


async def ocpp_endpoint(websocket: WebSocket) -> None:
    """The former endpoint, as it was: checks, accept, then one receive loop per charger."""
    central: CentralSystem = websocket.app.state.central
    charger_id = unquote(websocket.path_params.get("charge_point_id", ""))
    if charger_id_problem(charger_id, central.services.settings.max_charger_id):
        await websocket.close(1008)
        return
    offered = [p.lower() for p in websocket.scope.get("subprotocols") or []]
    chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
    await websocket.accept(subprotocol=chosen)

    async def close(code: int, reason: str) -> None:
        await websocket.close(code, reason)

    session = Session(central, charger_id, SUBPROTOCOLS.get(chosen or "", "1.6"),
                      websocket.send_text, close)
    previous = central.attach(session)
    if previous is not None:
        await previous.close(1000, "replaced by a newer connection")
    await central.connected(session, central.services.clock())
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            await session.receive(message.get("text") or "")
    except WebSocketDisconnect:
        pass
    finally:
        await central.disconnected(session, central.services.clock())


async def main(port: int, db: str) -> None:
    settings = Settings(db=db, port=port, heartbeat_interval=3600, log_level="warning")
    store = open_store(db)
    await store.start()
    services = Services(settings, store, InProcessBus(), default_catalog())
    central = CentralSystem(services)
    await central.start()
    app = create_app(services, extra_routes=[
        WebSocketRoute("/ocpp/{charge_point_id:path}", ocpp_endpoint)])
    app.state.central = central
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws_max_size=1 << 20, ws_ping_interval=30,
                            ws_ping_timeout=30, ws_per_message_deflate=False,
                            ws="websockets-sansio", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    tune_gc()
    print("PORT", server.servers[0].sockets[0].getsockname()[1], flush=True)
    await task


if __name__ == "__main__":
    run(main(int(sys.argv[1]), sys.argv[2]))
