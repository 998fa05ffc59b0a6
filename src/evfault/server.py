"""`evfault serve`: OCPP endpoint, dashboard, help pages and API on one port.

`Server` is also what the tests and benchmarks run: on port 0, in the caller's event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from starlette.applications import Starlette

from evfault.alerts.healer import Healer
from evfault.alerts.service import Alerts, check_settings
from evfault.auth.service import Trust
from evfault.auth.tag_list import TagList
from evfault.bus import InProcessBus
from evfault.catalog.catalog import default_catalog
from evfault.commands.commander import Commander
from evfault.context import Services, utc_now
from evfault.nats_bus import NatsBus
from evfault.net.limits import raise_fd_limit
from evfault.net.listener import Listener, SessionOpener
from evfault.net.tls import server_context
from evfault.net.upgrade import Upgrade
from evfault.net.websocket import WebSocket
from evfault.ocpp.admission import Gate, Registration
from evfault.ocpp.central import CentralSystem
from evfault.ocpp.endpoint import OcppHandler, open_session
from evfault.ocpp.liveness import LivenessProbe
from evfault.ocpp.reconcile import Reconciler
from evfault.settings import Settings
from evfault.sites.config import load_sites
from evfault.sites.manager import SiteManager
from evfault.store.accounts import secret
from evfault.store.retention import Retention, RetentionRule
from evfault.store.sql import SqlStore, open_store
from evfault.web.app import close_event_streams, create_app

log = logging.getLogger("evfault")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int
    tls: bool = False

    @property
    def http(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def ocpp(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}/ocpp"


def build_app(services: Services, central: CentralSystem, trust: Trust | None = None
              ) -> Starlette:
    """The web app; OCPP WebSockets never reach it (the transport serves them natively)."""
    app = create_app(services, trust=trust)
    app.state.central = central
    return app


def session_opener(central: CentralSystem) -> SessionOpener:
    async def open_ocpp(ws: WebSocket, upgrade: Upgrade,
                        registration: Registration) -> OcppHandler:
        return await open_session(central, ws, upgrade.charger_id, upgrade.version,
                                  upgrade.subprotocol, registration)
    return open_ocpp


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


# While a part of the server keeps its stop waiting, it is named in the log this often.
STOP_REPORT_S = 10.0


async def _stop_part(name: str, stopping: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(stopping)
    waited = 0.0
    while not (await asyncio.wait({task}, timeout=STOP_REPORT_S))[0]:
        waited += STOP_REPORT_S
        log.warning("stopping: still waiting for the %s after %.0f s", name, waited)
    task.result()


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
                 node: str | None = None, gate: Gate | None = None) -> None:
        self.settings = settings
        self._gate = gate  # tests may bring their own; the charger registry's otherwise
        self.trust: Trust | None = None
        self.alerts: Alerts | None = None
        self.healer: Healer | None = None
        self.clock = clock
        self.node = node
        self.services: Services | None = None
        self.central: CentralSystem | None = None
        self.app: Starlette | None = None
        self.listener: Listener | None = None
        self.sites: SiteManager | None = None
        self.liveness: LivenessProbe | None = None
        self.tags: TagList | None = None
        self.reconciler: Reconciler | None = None
        self.retention: Retention | None = None
        self._stopped: asyncio.Event | None = None
        self.address = Address(settings.host, settings.port)

    async def start(self, reuse_port: bool = False) -> Address:
        context = server_context(self.settings)  # bad TLS files fail before anything opens
        trust = Trust(self.settings, self.clock)  # so does a setting the registry cannot use
        sites = load_sites(self.settings.sites) if self.settings.sites else []  # and a site file
        check_settings(self.settings)  # and a rules file with a mistake in it
        raise_fd_limit()
        store = open_store(self.settings.db)
        await store.start()
        node = self.node or self.settings.node or socket.gethostname()
        bus = NatsBus(self.settings.bus, node) if self.settings.bus else InProcessBus()
        self.services = Services(self.settings, store, bus, default_catalog(),
                                 clock=self.clock, gate=self._gate or trust.gate)
        self.central = CentralSystem(self.services, node=node)
        await self.central.start()
        self.trust = trust
        await trust.start()
        await trust.attach(self.central)
        self.tags = TagList(trust.store, self.central.tags, self.clock)
        await self.tags.start()
        if isinstance(bus, NatsBus):
            await self._join(bus, trust, store)
        self.services.commander = Commander(
            self.central, trust.store, timeout=self.settings.command_timeout,
            remote=bus if isinstance(bus, NatsBus) else None)
        self.liveness = LivenessProbe(self.central, self.services.commander,
                                      self.settings.liveness_probe)
        self.liveness.start()
        self.reconciler = Reconciler(self.central, self.services.commander,
                                     self.settings.reconcile_window)
        self.reconciler.start()
        self.retention = Retention(trust.store.write, RetentionRule(
            self.settings.log_retention_days, self.settings.log_retention_rows), self.clock)
        self.retention.start()
        alerts = self.alerts = Alerts(self.settings, store, self.clock)
        central = self.central
        healer = self.healer = Healer(self.services, lambda: set(central.sessions),
                                      lambda: alerts.rules, alerts.db)
        alerts.healing = healer.still_trying  # alerts stay quiet while it tries
        alerts.before_check = healer.tick  # it acts in the alerts' round, on the same read
        await alerts.start()
        await healer.start()
        self.app = build_app(self.services, self.central, trust)
        self.sites = SiteManager(self.services, sites, store=trust.store)
        self.app.state.sites = self.sites
        self.app.state.alerts = self.alerts
        self.app.state.tags = self.tags
        self.listener = Listener(self.app, self.settings, self.services.gate,
                                 session_opener(self.central), context)
        try:
            port = await self.listener.start(self.settings.host, self.settings.port, reuse_port)
        except BaseException:
            await self.liveness.stop()
            await self.healer.stop()
            await self.reconciler.stop()
            await self.retention.stop()
            await self.alerts.stop()
            if isinstance(bus, NatsBus):
                await bus.stop()
            await self.tags.stop()
            await self.central.stop()
            await trust.stop()
            await store.close()
            raise
        await self.sites.start()
        self._stopped = asyncio.Event()
        self.address = Address(self.settings.host, port, context is not None)
        tune_gc()
        return self.address

    async def _join(self, bus: NatsBus, trust: Trust, store: SqlStore) -> None:
        """Join the other nodes on this database over NATS (or undo the start and say why)."""
        assert self.central is not None
        cluster = await trust.store.write(secret, "bus-cluster", secrets.token_hex(8))
        try:
            await bus.start(cluster)
            await bus.serve_calls(self.central)
        except BaseException:
            await bus.stop()
            if self.tags is not None:
                await self.tags.stop()
            await self.central.stop()
            await trust.stop()
            await store.close()
            raise

    async def stop(self) -> None:
        """Stop every part in order. A part that keeps the stop waiting is named in the log
        every STOP_REPORT_S, so a stop that hangs says where."""
        if self.app is not None:
            close_event_streams(self.app)  # a browser's open stream must not hold the stop
        bus = self.services.bus if self.services else None
        parts: list[tuple[str, Any]] = [
            ("self-healing", self.healer), ("sites", self.sites),
            ("liveness probe", self.liveness), ("reconciler", self.reconciler),
            ("log retention", self.retention), ("chargers' sessions", self.central),
            ("listener", self.listener), ("alerts", self.alerts),
            ("NATS bus", bus if isinstance(bus, NatsBus) else None), ("idTag list", self.tags),
            ("charger registry", self.trust)]
        for name, part in parts:
            if part is not None:
                await _stop_part(name, part.stop())
        if self.services:
            await _stop_part("database writes", self.services.store.close())
        if self._stopped is not None:
            self._stopped.set()

    async def serve_forever(self) -> None:
        assert self._stopped is not None, "start the server first"
        await self._stopped.wait()
