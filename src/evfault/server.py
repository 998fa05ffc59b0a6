"""`evfault serve`: OCPP endpoint, dashboard, help pages and API on one port.

`Server` is also what the tests and benchmarks run: on port 0, in the caller's event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

import uvicorn
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp

from evfault.bus import InProcessBus
from evfault.catalog.catalog import default_catalog
from evfault.context import Services, utc_now
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.endpoint import ocpp_endpoint
from evfault.settings import Settings
from evfault.store.sql import open_store
from evfault.web.app import create_app

log = logging.getLogger("evfault")


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ocpp(self) -> str:
        return f"ws://{self.host}:{self.port}/ocpp"


def build_app(services: Services, central: CentralSystem) -> ASGIApp:
    route = WebSocketRoute("/ocpp/{charge_point_id:path}", ocpp_endpoint)
    app = create_app(services, extra_routes=[route])
    app.state.central = central
    return app


def _uvicorn_level(level: str) -> str:
    # uvicorn logs every WebSocket handshake at info; with thousands of chargers that drowns
    # evfault's own lines, so it speaks only at debug or about problems.
    return "debug" if level.lower() == "debug" else "warning"


class Server:
    """A running evfault: store, tracker, OCPP endpoint and web app in one process."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now,
                 node: str | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.node = node
        self.services: Services | None = None
        self.central: CentralSystem | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.address = Address(settings.host, settings.port)

    async def start(self) -> Address:
        store = open_store(self.settings.db)
        await store.start()
        self.services = Services(self.settings, store, InProcessBus(), default_catalog(),
                                 clock=self.clock)
        self.central = CentralSystem(self.services, node=self.node or self.settings.node or None)
        await self.central.start()
        config = uvicorn.Config(
            build_app(self.services, self.central), host=self.settings.host,
            port=self.settings.port, log_level=_uvicorn_level(self.settings.log_level),
            lifespan="off",
            ws_max_size=1 << 20, ws_ping_interval=30, ws_ping_timeout=30,
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=3, access_log=False,
        )
        self._uvicorn = uvicorn.Server(config)
        self._task = asyncio.create_task(self._uvicorn.serve(), name="evfault-uvicorn")
        await self._wait_started()
        return self.address

    async def _wait_started(self) -> None:
        assert self._uvicorn is not None and self._task is not None
        while not self._uvicorn.started:
            if self._task.done():
                self._task.result()  # raises what stopped it (e.g. the port is taken)
                raise RuntimeError("the web server stopped before it started")
            await asyncio.sleep(0.01)
        sockets = self._uvicorn.servers[0].sockets
        self.address = Address(self.settings.host, sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.central:
            await self.central.stop()
        if self._uvicorn and self._task:
            self._uvicorn.should_exit = True
            with suppress(asyncio.CancelledError):
                await self._task
        if self.services:
            await self.services.store.close()

    async def serve_forever(self) -> None:
        assert self._task is not None
        await self._task
