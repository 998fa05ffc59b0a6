"""The public charger page /c/{id} in a real headless Chromium, against a real evfault server
driven by the `ocpp` package's ChargePoint: a fault shows and clears without a reload.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from chargers import boot16, charger16, send_status16
from evfault.web.i18n import default_strings
from test_browser_support import (
    LIVE_MS,
    SCREENSHOTS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

STRINGS = default_strings()
EVGO = "com.evgo.mrec"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


async def wait_page_live(page: Any) -> None:
    await page.wait_for_selector('#charger-live[data-state="live"]', timeout=10_000)


def connector(page: Any, number: int) -> Any:
    return page.locator(f'#connectors li[data-connector="{number}"]')


async def test_a_driver_sees_a_fault_arrive_and_clear_without_reloading(
    start_server: Any, browser: Any
) -> None:
    server = await start_server()
    url = f"{server.address.http}/c/DRV-LIVE-1?lang=de"
    async with charger16(server.address.ocpp, "DRV-LIVE-1") as cp:
        await boot16(cp, vendor="EVgo Test", model="MREC-1")
        await send_status16(cp, status="Available")
        page, watch = await open_page(browser, url, **PHONE)
        await wait_page_live(page)
        await page.evaluate("window.__sameDocument = true")
        one = connector(page, 1)
        await page.locator('#connectors li[data-connector="1"][data-state="ready"]').wait_for(
            timeout=LIVE_MS)

        await send_status16(cp, errorCode="OtherError", status="Finishing", vendorId=EVGO,
                            vendorErrorCode="F001", info="1.11",
                            timestamp="2026-01-10T14:51:17Z")
        fault = one.locator('.driver-error[data-code="F001"]')
        await fault.wait_for(timeout=LIVE_MS)
        assert await one.get_attribute("data-state") == "faulted"
        assert STRINGS["de"]("driver.state.faulted") in await one.inner_text()
        assert STRINGS["de"]("driver.what_now") in await one.inner_text()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "driver.png"), full_page=True)

        await send_status16(cp, errorCode="NoError", status="Available")
        await fault.wait_for(state="detached", timeout=LIVE_MS)
        await page.locator('#connectors li[data-connector="1"][data-state="ready"]').wait_for(
            timeout=LIVE_MS)
        assert await page.evaluate("window.__sameDocument") is True  # never reloaded
        assert watch.problems == []
        await page.context.close()


async def test_no_language_scrolls_sideways_on_a_phone(start_server: Any, browser: Any) -> None:
    server = await start_server()
    charger_id = "DRV-PHONE-WITH-A-RATHER-LONG-NAME-01"
    async with charger16(server.address.ocpp, charger_id) as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="GroundFailure", status="Faulted")
        await send_status16(cp, connectorId=2, status="Available")
        for lang in STRINGS.languages:
            page, watch = await open_page(
                browser, f"{server.address.http}/c/{quote(charger_id)}?lang={lang}", **PHONE)
            await wait_page_live(page)
            await connector(page, 1).locator(".driver-error").first.wait_for(timeout=LIVE_MS)
            await page.click("#lang-picker > summary")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"/c/ in {lang} is {width} px wide"
            assert watch.problems == []
            await page.context.close()


async def test_the_qr_code_on_the_page_opens_that_page(start_server: Any, browser: Any) -> None:
    """The picture the browser shows, read by a QR reader, is this page's own address."""
    import cv2
    import numpy as np

    server = await start_server()
    async with charger16(server.address.ocpp, "DRV-QR-1") as cp:
        await boot16(cp)
        await send_status16(cp, status="Available")
        page, watch = await open_page(browser, f"{server.address.http}/c/DRV-QR-1", **PHONE)
        image = page.locator("#page-qr")
        await image.scroll_into_view_if_needed()
        await page.wait_for_function(
            "document.getElementById('page-qr').complete"
            " && document.getElementById('page-qr').naturalWidth > 0")
        shot = await image.screenshot()
        picture = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_GRAYSCALE)
        text, points, _ = cv2.QRCodeDetector().detectAndDecode(picture)
        assert points is not None
        assert text == f"{server.address.http}/c/DRV-QR-1"
        await page.goto(text)  # and that address is the page
        assert await page.locator("#charger-id").inner_text() == "DRV-QR-1"
        assert watch.problems == []
        await page.context.close()


async def test_a_drivers_report_appears_on_the_dashboard(start_server: Any, browser: Any) -> None:
    """The operator's dashboard is open all along; the driver's report shows up in it without a
    reload (the tile fetches the unseen reports again every few seconds)."""
    from accounts import login_link

    server = await start_server()
    dashboard, seen = await open_page(browser, await login_link(server, "/"))
    await dashboard.wait_for_selector("#driver-reports-empty")
    await dashboard.evaluate("window.__sameDocument = true")
    async with charger16(server.address.ocpp, "DRV-REPORT-1") as cp:
        await boot16(cp)
        await send_status16(cp, status="Available")
        page, watch = await open_page(browser, f"{server.address.http}/c/DRV-REPORT-1?lang=fr",
                                      **PHONE)
        await page.fill("#report-message", "Le câble reste bloqué")
        await page.fill("#report-contact", "driver@example.org")
        await page.click("#report-form button[type=submit]")
        await page.wait_for_selector("#report-state.report-done")
        assert STRINGS["fr"]("driver.report.thanks") in await page.inner_text("#report-state")
        assert watch.problems == []
        await page.context.close()

    item = dashboard.locator("#driver-reports-list li", has_text="DRV-REPORT-1")
    await item.wait_for(timeout=15_000)  # the tile's next fetch (every 5 s), with room to spare
    assert await dashboard.evaluate("window.__sameDocument") is True
    assert "Le câble reste bloqué" in await item.inner_text()
    assert "driver@example.org" in await item.inner_text()
    await item.locator("button", has_text="Seen").click()
    await dashboard.wait_for_selector("#driver-reports-empty")
    assert seen.problems == []
    await dashboard.context.close()
