"""Shared data and helpers for the web tests: a small fleet written into a real SqlStore.

(The module holds no tests; its name keeps it with the web tests it serves.)
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.types import Message

from evfault.auth.model import Role, User
from evfault.auth.service import Trust
from evfault.auth.sessions import COOKIE, CSRF_HEADER
from evfault.bus import InProcessBus
from evfault.catalog import default_catalog
from evfault.context import Services
from evfault.settings import Settings
from evfault.store.model import (
    ChargerUpdate,
    ConnectorUpdate,
    MessageRow,
    WriteBatch,
)
from evfault.store.sql import SqlStore, open_store
from evfault.tracking.model import ClearedBy, ConnectivityChange, Incident, StatusChange

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# Text a hostile or broken charger could send; it must never become markup or script.
EVIL = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
EVIL_ID = "<b>evil</b>\"'><svg onload=alert(3)>"


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def incident(
    ident: str,
    charger: str,
    code: str,
    *,
    scheme: str = "evgo-mrec",
    connector: int = 1,
    severity: str = "critical",
    title: str | None = None,
    opened_min: float = 10,
    cleared_min: float | None = None,
    **extra: Any,
) -> Incident:
    cleared = ago(cleared_min) if cleared_min is not None else None
    return Incident(
        id=ident,
        charger_id=charger,
        connector_id=connector,
        scheme=scheme,
        code=code,
        title=title or f"Title of {code}",
        severity=severity,
        opened_at=ago(opened_min),
        opened_received_at=ago(opened_min),
        cleared_at=cleared,
        cleared_by=ClearedBy.NO_ERROR if cleared else None,
        **extra,
    )


def charger_facts(batch: WriteBatch, charger: str, vendor: str, model: str, online: bool,
                  seen_min: float, statuses: dict[int, str]) -> None:
    batch.chargers.append(ChargerUpdate(
        charger, last_seen=ago(seen_min), vendor=vendor, model=model, protocol="1.6",
        online=online, booted_at=ago(3000), serial=f"SN-{charger}", firmware="1.2.3",
    ))
    for connector, status in statuses.items():
        batch.connectors.append(ConnectorUpdate(charger, connector, status, None, ago(seen_min)))


def standard_fleet() -> WriteBatch:
    """Four chargers: two with active errors, one offline, one clean; history on CP-1."""
    b = WriteBatch()
    charger_facts(b, "CP-1", "ABB", "Terra 184", True, 1, {1: "Finishing", 2: "Available"})
    charger_facts(b, "CP-2", "Tritium", "RTM75", True, 2, {1: "Charging", 2: "Available"})
    charger_facts(b, "CP-3", "Kempower", "S-Series", False, 180, {1: "Available"})
    charger_facts(b, "CP-4", "Alpitronic", "HYC300", True, 3, {1: "Available"})
    b.incidents += [
        incident("i-f001", "CP-1", "F001", title="Proximity voltage too low", opened_min=42,
                 reading_value=1.11, reading_unit="VDC", info="1.11", vendor_id="com.evgo.mrec",
                 error_code="OtherError", status="Finishing"),
        incident("i-f003", "CP-1", "F003", title="Control pilot voltage too low",
                 opened_min=42, reading_value=5.0, reading_unit="VDC", info="5.00",
                 vendor_id="com.evgo.mrec", error_code="OtherError", status="Finishing"),
        incident("i-temp", "CP-2", "HighTemperature", scheme="ocpp1.6", connector=1,
                 severity="warning", opened_min=130, warning_only=True, status="Charging"),
        incident("i-old-critical", "CP-2", "GroundFailure", scheme="ocpp1.6", connector=2,
                 severity="critical", opened_min=600),
        incident("i-cleared", "CP-1", "F000", opened_min=900, cleared_min=880,
                 title="Proximity voltage too high"),
    ]
    b.status_changes += [
        StatusChange("CP-1", 1, "Charging", ago(60), "Available"),
        StatusChange("CP-1", 1, "Finishing", ago(42), "Charging"),
    ]
    b.connectivity += [
        ConnectivityChange("CP-1", False, ago(300), "silent"),
        ConnectivityChange("CP-1", True, ago(240), "connected"),
        ConnectivityChange("CP-3", False, ago(180), "disconnected"),
    ]
    b.messages += [
        MessageRow("CP-1", "in", ago(42), '[2,"a1","StatusNotification",{"connectorId":1,'
                   '"errorCode":"OtherError","info":"1.11,5.00","vendorErrorCode":"F001,F003"}]',
                   "StatusNotification", "a1"),
        MessageRow("CP-1", "out", ago(42), '[3,"a1",{}]', None, "a1"),
    ]
    return b


def evil_fleet() -> WriteBatch:
    """A charger whose id, vendor, model, info and vendor codes are all attempts at injection."""
    b = WriteBatch()
    b.chargers.append(ChargerUpdate(EVIL_ID, last_seen=ago(1), vendor=EVIL, model=EVIL,
                                    online=False, serial=EVIL, firmware=EVIL))
    b.connectors.append(ConnectorUpdate(EVIL_ID, 1, EVIL, EVIL, ago(1)))
    b.incidents.append(incident("i-evil", EVIL_ID, EVIL, scheme="unknown", title=EVIL,
                                info=EVIL, vendor_id=EVIL, error_code=EVIL, status=EVIL,
                                severity="critical"))
    b.incidents.append(incident("i-evil-known", EVIL_ID, "F001", info=EVIL,
                                reading_value=1.0, reading_unit=EVIL))
    b.status_changes.append(StatusChange(EVIL_ID, 1, EVIL, ago(2), EVIL))
    b.connectivity.append(ConnectivityChange(EVIL_ID, False, ago(1), EVIL))
    b.messages.append(MessageRow(EVIL_ID, "in", ago(1), EVIL, EVIL, EVIL))
    return b


async def start_store(url: str, *batches: WriteBatch) -> SqlStore:
    store = open_store(url)
    await store.start()
    for batch in batches:
        await store.write(batch)
    return store


def services_for(store: SqlStore, clock: Any = None) -> Services:
    return Services(
        settings=Settings(db=store.url),
        store=store,
        bus=InProcessBus(),
        catalog=default_catalog(),
        clock=clock or (lambda: NOW),
    )


@asynccontextmanager
async def trusted(app: Starlette) -> AsyncIterator[Starlette]:
    """The app with accounts over its own store (as the server builds it), stopped after."""
    if app.state.trust is not None:
        yield app
        return
    services: Services = app.state.services
    trust = Trust(Settings(db=services.settings.db), services.clock)
    await trust.start()
    app.state.trust = trust
    try:
        yield app
    finally:
        await trust.stop()
        app.state.trust = None


async def add_user(trust: Trust, role: str = "operator") -> User:
    created = await trust.admin.add_user("test", f"{role}-{secrets.token_hex(3)}",
                                         Role.parse(role), "correct horse battery")
    assert created.user is not None
    return created.user


async def log_in(client: httpx.AsyncClient, trust: Trust, role: str = "operator") -> User:
    """Log `client` in as a new user with `role`, through a one-time link."""
    user = await add_user(trust, role)
    response = await client.get("/login/link", params={"token": trust.accounts.issue_link(user.id)})
    assert response.status_code == 303, response.text
    # What the dashboard's scripts do: send the session's CSRF token with every change.
    assert trust.accounts.signer is not None
    session = trust.accounts.signer.read(client.cookies.get(COOKIE))
    assert session is not None
    client.headers[CSRF_HEADER] = session.csrf
    return user


async def bearer(trust: Trust, role: str = "operator") -> str:
    """An API token of a new user with `role`."""
    user = await add_user(trust, role)
    created = await trust.admin.add_token("test", user.name, "tests")
    assert created.secret is not None
    return created.secret


@asynccontextmanager
async def client_for(app: Starlette, raise_errors: bool = True,
                     role: str | None = "operator") -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client, logged in with `role` (None: not logged in)."""
    async with trusted(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_errors)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            if role is not None:
                await log_in(client, app.state.trust, role)
            yield client


# ---- an event stream read in-process (httpx's ASGI transport waits for the whole body) ----


class StreamReader:
    """Drives one GET of the app by hand, so an endless response can be read piece by piece."""

    def __init__(self, app: Starlette, path: str, token: str | None = None) -> None:
        self.app = app
        self.path = path
        self.token = token
        self.start: Message | None = None
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._disconnect = asyncio.Event()
        self._buffer = ""
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StreamReader:
        if self.token is None and self.app.state.trust is not None:
            self.token = await bearer(self.app.state.trust, "viewer")
        auth = [(b"authorization", f"Bearer {self.token}".encode())] if self.token else []
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": "GET", "scheme": "http", "path": self.path,
            "raw_path": self.path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream"), *auth],
            "client": ("127.0.0.1", 1), "server": ("testserver", 80), "app": self.app,
        }
        self.task = asyncio.create_task(self.app(scope, self._receive, self._send))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._disconnect.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 30)

    async def _receive(self) -> Message:
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body" and message.get("body"):
            await self._chunks.put(message["body"])

    async def event(self, wait_s: float = 5.0) -> tuple[str, str]:
        """The next (event name, data) pair, skipping comments and the retry line."""
        while True:
            if "\n\n" in self._buffer:
                block, self._buffer = self._buffer.split("\n\n", 1)
                name, data = "message", ""
                for line in block.splitlines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        data += line[6:]
                if data or name != "message":
                    return name, data
                continue
            chunk = await asyncio.wait_for(self._chunks.get(), wait_s)
            self._buffer += chunk.decode()
