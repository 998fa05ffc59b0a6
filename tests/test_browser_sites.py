"""The site page in a real headless Chromium: the fuse bar and the notifications follow what
happens without a reload — a meter dropping out shows as "Site meter offline" and clears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accounts import login_link
from chargers import boot16, send_status16
from evfault.sim.modbus import ModbusDevice
from site_chargers import site_charger
from test_browser_support import (
    SCREENSHOTS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
)
from test_sites_e2e import site_file

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium,
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

WAIT_MS = 30_000  # generous: the machine may be busy; the page refreshes every two seconds


async def test_the_site_page_shows_the_meter_dropping_out_live(
        start_server: Any, browser: Any, tmp_path: Path) -> None:
    meter = ModbusDevice()
    await meter.start()
    meter.set_amps(10.0)
    source = {"url": meter.url, "fallback_a": 50, "scale": 0.1, "interval_s": 0.1,
              "grace_s": 0.5}
    server = await start_server(sites=site_file(tmp_path, meter=source))
    try:
        async with site_charger(server.address.ocpp, "CP1") as cp1:
            await boot16(cp1)
            await send_status16(cp1, status="Charging")
            page, watch = await open_page(browser, await login_link(server, "/sites/depot"))
            await page.wait_for_selector('#fuse-bar rect[data-kind="allocated"]'
                                         '[data-charger="CP1"]', timeout=WAIT_MS)
            assert await page.locator('#fuse-bar rect[data-kind="reserved"]').count() == 2
            await meter.stop()
            note = page.locator('#site-notes li[data-code="MeterOffline"]')
            await note.wait_for(timeout=WAIT_MS)
            assert "Site meter offline" in await note.inner_text()
            assert "50.0 A assumed" in await note.inner_text()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "site.png"), full_page=True)
            meter.set_amps(10.0)
            await meter.start()
            await note.wait_for(state="detached", timeout=WAIT_MS)
            assert watch.problems == [] and watch.dialogs == []
    finally:
        await meter.stop()
