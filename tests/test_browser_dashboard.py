"""The dashboard and help pages in a real headless Chromium, against a real uvicorn on port 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from evfault.auth.service import Trust
from evfault.context import Services, utc_now
from evfault.settings import Settings
from evfault.store.model import ChargerUpdate, ConnectorUpdate, WriteBatch
from evfault.tracking.model import (
    ChangeKind,
    ClearedBy,
    ConnectivityChange,
    Incident,
    IncidentChange,
    StatusChange,
)
from evfault.web.app import close_event_streams, create_app
from test_browser_support import (
    LIVE_MS,
    SCREENSHOTS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    error_ids,
    needs_chromium,
    open_page,
    wait_live,
)
from test_web_support import EVIL, EVIL_ID, add_user, evil_fleet, services_for, start_store

pytestmark = [pytest.mark.browser, needs_chromium]


# ---- a realistic fleet, dated from the real clock (the browser counts ages from it) --------


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def live_incident(ident: str, charger: str, code: str, title: str, severity: str,
                  opened_min: float, scheme: str = "evgo-mrec", connector: int = 1,
                  **extra: Any) -> Incident:
    at = minutes_ago(opened_min)
    return Incident(id=ident, charger_id=charger, connector_id=connector, scheme=scheme,
                    code=code, title=title, severity=severity, opened_at=at,
                    opened_received_at=at, **extra)


SITE = [  # id, vendor, model, online, minutes since last heard, connector statuses
    ("DEN-HQ-01", "ABB", "Terra 184", True, 0.2, ("Finishing", "Available")),
    ("DEN-HQ-02", "ABB", "Terra 184", True, 0.5, ("Charging", "Charging")),
    ("DEN-HQ-03", "Tritium", "RTM75", True, 1, ("Available",)),
    ("BOS-SQ-01", "Kempower", "S-Series", False, 95, ("Available", "Available")),
    ("BOS-SQ-02", "Alpitronic", "HYC300", True, 0.1, ("Faulted", "Available")),
    ("SEA-PK-01", "BTC Power", "Gen4 180", True, 2, ("Preparing", "Available")),
    ("SEA-PK-02", "SK Signet", "V2 350", True, 0.4, ("Charging",)),
    ("AUS-MX-07", "Wallbox", "Supernova", True, 3, ("Available", "SuspendedEV")),
]


def showcase_fleet() -> WriteBatch:
    b = WriteBatch()
    for charger, vendor, model, online, seen, statuses in SITE:
        b.chargers.append(ChargerUpdate(charger, last_seen=minutes_ago(seen), vendor=vendor,
                                        model=model, online=online, protocol="1.6",
                                        booted_at=minutes_ago(4000)))
        for n, status in enumerate(statuses, start=1):
            b.connectors.append(ConnectorUpdate(charger, n, status, None, minutes_ago(seen)))
    b.connectivity.append(ConnectivityChange("BOS-SQ-01", False, minutes_ago(95), "silent"))
    b.incidents += [
        live_incident("s-f001", "DEN-HQ-01", "F001", "Proximity voltage too low", "critical",
                      18, reading_value=1.11, reading_unit="VDC", info="1.11,5.00",
                      vendor_id="com.evgo.mrec", error_code="OtherError", status="Finishing"),
        live_incident("s-f003", "DEN-HQ-01", "F003", "Control pilot voltage too low",
                      "critical", 18, reading_value=5.0, reading_unit="VDC", info="1.11,5.00",
                      vendor_id="com.evgo.mrec", error_code="OtherError", status="Finishing"),
        live_incident("s-ground", "BOS-SQ-02", "GroundFailure", "Ground fault", "critical",
                      260, scheme="ocpp1.6", status="Faulted"),
        live_incident("s-cx011", "SEA-PK-01", "CX011", "Cable check failed", "critical", 7,
                      scheme="chargex-mrec", info="Error CX011 raised",
                      vendor_id="https://chargex.inl.gov", error_code="OtherError"),
        live_incident("s-temp", "DEN-HQ-02", "HighTemperature", "Temperature too high",
                      "warning", 41, scheme="ocpp1.6", connector=2, warning_only=True,
                      status="Charging"),
        live_incident("s-a001", "AUS-MX-07", "A001", "Vehicle not ready", "warning", 3,
                      connector=2, vendor_id="com.evgo.mrec", error_code="OtherError"),
    ]
    return b


# ---- a real server and a real browser ------------------------------------------------------


@dataclass
class Live:
    url: str
    app: Starlette
    services: Services

    async def login(self, path: str = "/", role: str = "operator") -> str:
        """A one-time link that logs a new user with `role` in and opens `path`."""
        user = await add_user(self.app.state.trust, role)
        token = self.app.state.trust.accounts.issue_link(user.id)
        return f"{self.url}/login/link?{urlencode({'token': token, 'next': path})}"

    async def publish(self, batch: WriteBatch, *changes: Any) -> None:
        """What the OCPP side does: commit to the store, then tell the bus."""
        await self.services.store.write(batch)
        for change in changes:
            self.services.bus.publish(change)


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    """Start the web app on 127.0.0.1:0 over a store filled with the given batches."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None], Starlette, Services]] = []

    async def start(url: str, *batches: WriteBatch) -> Live:
        store = await start_store(url, *batches)
        services = services_for(store, clock=utc_now)
        trust = Trust(Settings(db=url), utc_now)
        await trust.start()
        app = create_app(services, trust=trust)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        running.append((server, task, app, services))
        return Live(f"http://127.0.0.1:{port}", app, services)

    yield start
    for server, task, app, services in running:
        close_event_streams(app)
        server.should_exit = True
        await task
        await app.state.trust.stop()
        await services.store.close()


# ---- tests -------------------------------------------------------------------------------


async def test_dashboard_shows_the_fleet(serve: Any, browser: Any, sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    page, watch = await open_page(browser, await live.login("/"),
                                  viewport={"width": 1440, "height": 1000})
    await wait_live(page)
    assert await error_ids(page) == ["s-ground", "s-f001", "s-f003", "s-cx011", "s-temp",
                                     "s-a001"]
    row = await page.inner_text('#errors-table tr[data-id="s-f001"]')
    assert "DEN-HQ-01" in row and "F001" in row and "1.11 VDC" in row and "18 min" in row
    notices = await page.inner_text("#notices-list")
    assert "Charger offline" in notices and "BOS-SQ-01" in notices
    marked = await page.eval_on_selector_all(
        "#points-body tr", "rows => rows.filter(r => r.querySelector('details.marker'))"
                           ".map(r => r.dataset.id)")
    assert set(marked) == {"DEN-HQ-01", "DEN-HQ-02", "BOS-SQ-02", "SEA-PK-01", "AUS-MX-07"}
    await page.click('#points-body tr[data-id="DEN-HQ-01"] details.marker summary')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    assert watch.problems == []


async def test_marker_opens_the_explanation(serve: Any, browser: Any, sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    page, _ = await open_page(browser, await live.login("/"))
    await wait_live(page)
    popover = page.locator('#points-body tr[data-id="BOS-SQ-02"] .popover')
    assert not await popover.is_visible()
    await page.click('#points-body tr[data-id="BOS-SQ-02"] details.marker summary')
    await popover.wait_for(state="visible", timeout=2000)
    text = await popover.inner_text()
    assert "GroundFailure" in text and "recommended steps" in text.lower()
    steps = await popover.locator("ol.steps li").count()
    assert steps >= 2


async def test_live_changes_appear_without_a_reload(serve: Any, browser: Any,
                                                    sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    page, watch = await open_page(browser, await live.login("/"))
    await wait_live(page)
    await page.evaluate("window.__sameDocument = true")

    opened = live_incident("s-new", "SEA-PK-02", "F002", "Proximity voltage out of range",
                           "critical", 0, reading_value=3.3, reading_unit="VDC")
    await live.publish(WriteBatch(incidents=[opened]), IncidentChange(ChangeKind.OPENED, opened))
    row = page.locator('#errors-table tr[data-id="s-new"]')
    await row.wait_for(timeout=LIVE_MS)
    assert "3.3 VDC" in await row.inner_text()
    await page.locator('#points-body tr[data-id="SEA-PK-02"] details.marker').wait_for(
        timeout=LIVE_MS)

    cleared = opened.clear(datetime.now(UTC), ClearedBy.NO_ERROR)
    await live.publish(WriteBatch(incidents=[cleared]),
                       IncidentChange(ChangeKind.CLEARED, cleared))
    await row.wait_for(state="detached", timeout=LIVE_MS)
    assert await page.locator('#points-body tr[data-id="SEA-PK-02"] details.marker').count() == 0

    went = ConnectivityChange("DEN-HQ-03", False, datetime.now(UTC), "silent")
    await live.publish(WriteBatch(connectivity=[went]), went)
    await page.locator('#notices-list li', has_text="DEN-HQ-03").wait_for(timeout=LIVE_MS)
    await page.locator('#points-body tr[data-id="DEN-HQ-03"] .chip-status',
                       has_text="unknown since").wait_for(timeout=LIVE_MS)

    meter = live_incident("s-meter", "AUS-MX-07", "MeterOffline", "Site meter offline",
                          "warning", 0, scheme="platform", connector=0)
    await live.publish(WriteBatch(incidents=[meter]), IncidentChange(ChangeKind.OPENED, meter))
    await page.locator('#notices-list li', has_text="Site meter offline").wait_for(
        timeout=LIVE_MS)
    assert "s-meter" not in await error_ids(page)  # a platform condition, not a charger error

    # DEN-HQ-03 is offline now: its connectors show "unknown since"; a charger online reports.
    status = StatusChange("DEN-HQ-01", 1, "Unavailable", datetime.now(UTC), "Available")
    row_now = ConnectorUpdate("DEN-HQ-01", 1, "Unavailable", None, status.at)
    await live.publish(WriteBatch(status_changes=[status], connectors=[row_now]), status)
    chip = page.locator('#points-body tr[data-id="DEN-HQ-01"] .chip-status').first
    await page.wait_for_function(
        "() => document.querySelector('#points-body tr[data-id=\"DEN-HQ-01\"] .chip-status')"
        ".textContent === 'Unavailable'", timeout=LIVE_MS)
    assert await chip.inner_text() == "Unavailable"
    assert await page.evaluate("window.__sameDocument") is True  # never reloaded
    assert watch.problems == []


async def test_a_storm_of_changes_keeps_the_page_usable(serve: Any, browser: Any,
                                                        sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    page, watch = await open_page(browser, await live.login("/"))
    await wait_live(page)
    statuses = ["Charging", "SuspendedEV", "Available", "Preparing"]
    for n in range(2000):
        live.services.bus.publish(StatusChange("SEA-PK-02", 1, statuses[n % 4],
                                               datetime.now(UTC)))
    last = StatusChange("SEA-PK-02", 1, "Finishing", datetime.now(UTC))
    await live.publish(WriteBatch(status_changes=[last], connectors=[
        ConnectorUpdate("SEA-PK-02", 1, "Finishing", None, last.at)]), last)
    await page.wait_for_function(
        "() => document.querySelector('#points-body tr[data-id=\"SEA-PK-02\"] .chip-status')"
        ".textContent === 'Finishing'", timeout=5000)
    assert await page.evaluate("1 + 1") == 2  # the page still answers
    assert watch.problems == []


async def test_charger_page_follows_its_charger(serve: Any, browser: Any,
                                                sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    page, watch = await open_page(browser, await live.login("/chargers/DEN-HQ-01"))
    await wait_live(page)
    assert "F001" in await page.inner_text("#errors-table")
    old = (await live.services.store.active_incidents("DEN-HQ-01"))[0]
    cleared = old.clear(datetime.now(UTC), ClearedBy.NO_ERROR)
    await live.publish(WriteBatch(incidents=[cleared]),
                       IncidentChange(ChangeKind.CLEARED, cleared))
    await page.locator(f'#errors-table tr[data-id="{old.id}"]').wait_for(
        state="detached", timeout=LIVE_MS)
    await page.locator("#timeline li.tl-error-cleared").first.wait_for(timeout=LIVE_MS)
    assert watch.problems == []


async def test_help_page_on_a_phone(serve: Any, browser: Any, sqlite_url: str) -> None:
    live = await serve(sqlite_url)
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
             "device_scale_factor": 2}
    page, watch = await open_page(browser, live.url + "/help", **phone)
    await page.fill('input[name="q"]', "F001")
    await page.press('input[name="q"]', "Enter")
    await page.wait_for_url("**/help/evgo-mrec/F001")
    for heading in ("Seeing this on the charger right now?", "What to do next",
                    "Technical details", "Related codes"):
        assert await page.get_by_role("heading", name=heading).is_visible()
    assert await page.locator("#safety").is_visible()
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    await page.goto(live.url + "/help/chargex-mrec/CX011")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "help.png"), full_page=True)
    await page.goto(await live.login("/"))  # the dashboard, too, fits a phone
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert watch.problems == []


async def test_injected_text_stays_inert(serve: Any, browser: Any, sqlite_url: str) -> None:
    live = await serve(sqlite_url, evil_fleet())
    page, watch = await open_page(browser, await live.login("/"))
    await wait_live(page)
    # Arrive through the live path too: the script builds these rows itself.
    late = live_incident("i-evil-live", EVIL_ID, EVIL, EVIL, "critical", 0, scheme="x",
                         info=EVIL, vendor_id=EVIL, reading_value=1.0, reading_unit=EVIL)
    await live.publish(WriteBatch(incidents=[late]), IncidentChange(ChangeKind.OPENED, late))
    await page.locator('#errors-table tr[data-id="i-evil-live"]').wait_for(timeout=LIVE_MS)
    await page.click("#points-body details.marker summary")
    for url in (None, "/chargers/" + quote(EVIL_ID, safe="")):
        if url:
            await page.goto(live.url + url)
            await wait_live(page)
            await page.evaluate("1")
        injected = await page.evaluate("""() => ({
            images: document.querySelectorAll('img, svg, iframe, b').length,
            handlers: Array.from(document.querySelectorAll('*')).filter(
                el => Array.from(el.attributes).some(a => a.name.startsWith('on'))).length,
            scripts: Array.from(document.scripts).map(s => s.src),
        })""")
        assert injected["images"] == 0 and injected["handlers"] == 0
        assert all(src.startswith(live.url + "/static/") for src in injected["scripts"])
        assert EVIL in await page.inner_text("main")
    assert watch.dialogs == []


async def test_api_docs_page_works_offline(serve: Any, browser: Any, sqlite_url: str) -> None:
    live = await serve(sqlite_url)
    page, watch = await open_page(browser, await live.login("/docs"))
    requested: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    await page.reload()
    await page.wait_for_selector(".swagger-ui .info .title", timeout=10_000)
    assert "evfault API" in await page.inner_text(".swagger-ui .info .title")
    assert await page.locator(".opblock-summary-path", has_text="/api/v1/errors/active").count()
    assert requested and all(url.startswith(live.url) or url.startswith("data:")
                             for url in requested), requested
    assert watch.problems == []


async def test_the_page_shows_the_servers_board_as_it_is(serve: Any, browser: Any,
                                                         sqlite_url: str) -> None:
    """One source for the board's rules: filters, order, notices and the summary are the
    server's (web/views.py); the page renders its JSON twin unchanged, live changes included."""
    live = await serve(sqlite_url, showcase_fleet())
    query = "?charger=bos-"  # a prefix, typed in lower case
    page, watch = await open_page(browser, await live.login("/" + query))
    await wait_live(page)
    went = ConnectivityChange("BOS-SQ-02", False, datetime.now(UTC), "silent")
    await live.publish(WriteBatch(connectivity=[went], chargers=[ChargerUpdate(
        "BOS-SQ-02", last_seen=went.at, online=False)]), went)
    await page.locator('#notices-list li', has_text="BOS-SQ-02").wait_for(timeout=LIVE_MS)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=live.url, cookies=cookies) as client:
        board = (await client.get(f"/api/v1/dashboard{query}")).json()
    assert await error_ids(page) == [e["id"] for e in board["errors"]]
    shown_points = await page.eval_on_selector_all(
        "#points-body tr", "rows => rows.map(r => r.dataset.id)")
    assert shown_points == [c["id"] for c in board["chargers"]]
    assert {c["id"] for c in board["chargers"]} == {"BOS-SQ-01", "BOS-SQ-02"}
    notices = await page.eval_on_selector_all(
        "#notices-list li .charger-link", "links => links.map(a => a.textContent)")
    assert notices == [n["charger_id"] for n in board["notifications"]]
    summary = board["summary"]
    for stat, value in (("stat-chargers", summary["chargers"]), ("stat-online", summary["online"]),
                        ("stat-offline", summary["offline"]),
                        ("stat-errors", summary["active_errors"]),
                        ("stat-critical", summary["by_severity"]["critical"])):
        assert await page.inner_text(f"#{stat}") == str(value), stat
    assert watch.problems == []
