"""`evfault serve`: OCPP endpoint, dashboard, help pages and API on one port.

`Server` is also what the tests and benchmarks run: on port 0, in the caller's event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import uvicorn
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp

from evfault.auth.service import Trust
from evfault.bus import InProcessBus
from evfault.catalog.catalog import default_catalog
from evfault.context import Services, utc_now
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.endpoint import ocpp_endpoint
from evfault.settings import Settings
from evfault.store.sql import open_store
from evfault.web.app import create_app

log = logging.getLogger("evfault")

T = TypeVar("T")


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


def build_app(services: Services, central: CentralSystem, trust: Trust | None = None) -> ASGIApp:
    route = WebSocketRoute("/ocpp/{charge_point_id:path}", ocpp_endpoint)
    app = create_app(services, extra_routes=[route], trust=trust)
    app.state.central = central
    app.state.gate = trust.gate if trust is not None else None
    return app


def _uvicorn_level(level: str) -> str:
    # uvicorn logs every WebSocket handshake at info; with thousands of chargers that drowns
    # evfault's own lines, so it speaks only at debug or about problems.
    return "debug" if level.lower() == "debug" else "warning"


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` (a server's life) on uvloop when it is installed, else on asyncio's loop.

    uvloop carried ~15% more StatusNotifications a second than asyncio's own loop in
    benchmarks/server_load.py (200 chargers, SQLite: 6,350 against 5,540 msg/s in one run;
    server CPU 172 against 194 µs a message). Meant for the CLI's `serve` and `demo`.
    """
    try:
        import uvloop
    except ImportError:  # e.g. Windows, which uvloop does not support
        return asyncio.run(main)
    return uvloop.run(main)


# Young-generation collections per allocated container: Python's default, 700, is crossed by
# the objects of every group commit in flight, so the collector ran ~130 times a second under
# benchmarks/server_load.py and took ~9% of the server's time. With 10,000: a few times a minute.
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Collect less often, and never again scan what startup built (catalog, app, modules).

    Measured with benchmarks/server_load.py (200 chargers, SQLite, uvloop, one run): garbage
    collection fell from 1.0 s to 0.01 s per 10 s of load, throughput rose from 5,600 to 6,350
    msg/s and p99 latency from ~110 to ~60 ms (full collections of a large heap were the spikes).
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


class Server:
    """A running evfault: store, tracker, OCPP endpoint and web app in one process."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now,
                 node: str | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.node = node
        self.services: Services | None = None
        self.central: CentralSystem | None = None
        self.trust: Trust | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.address = Address(settings.host, settings.port)

    async def start(self) -> Address:
        trust = Trust(self.settings, self.clock)  # a setting it cannot use fails here, first
        store = open_store(self.settings.db)
        await store.start()
        self.services = Services(self.settings, store, InProcessBus(), default_catalog(),
                                 clock=self.clock)
        self.central = CentralSystem(self.services, node=self.node or self.settings.node or None)
        await self.central.start()
        self.trust = trust
        await self.trust.start()
        await self.trust.attach(self.central)
        config = uvicorn.Config(
            build_app(self.services, self.central, self.trust), host=self.settings.host,
            port=self.settings.port, log_level=_uvicorn_level(self.settings.log_level),
            lifespan="off",
            ws_max_size=1 << 20, ws_ping_interval=30, ws_ping_timeout=30,
            ws_per_message_deflate=False,
            # uvicorn's WebSocket implementations, measured with benchmarks/server_load.py
            # (200 chargers, SQLite, uvloop): websockets-sansio 5,900 msg/s, wsproto 5,500,
            # the legacy "websockets" 5,100. Named, so no other installed library changes it.
            ws="websockets-sansio",
            timeout_graceful_shutdown=3, access_log=False,
        )
        self._uvicorn = uvicorn.Server(config)
        self._task = asyncio.create_task(self._uvicorn.serve(), name="evfault-uvicorn")
        await self._wait_started()
        tune_gc()
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
        if self.trust:
            await self.trust.stop()
        if self.services:
            await self.services.store.close()

    async def serve_forever(self) -> None:
        assert self._task is not None
        await self._task
