"""End to end: a real evfault server on port 0, a real OCPP client, a real headless Chromium.

An EVgo charger reports a compound fault over OCPP 1.6; the operator's dashboard, open in the
browser all along, must show both codes with their readings, mark the charger, drop both when
NoError arrives, and show the charger offline once its connection has been gone for the
(shortened) grace period — all without a reload. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts import login_link
from chargers import boot16, charger16, send_status16
from test_browser_support import (
    LIVE_MS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    error_ids,
    needs_chromium,
    open_page,
    wait_live,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

EVGO = "com.evgo.mrec"
GRACE_S = 0.4


def row(page: Any, charger: str, code: str) -> Any:
    return page.locator("#errors-table tbody tr", has_text=charger).filter(has_text=code)


async def test_evgo_compound_fault_lives_on_the_dashboard(start_server: Any,
                                                         browser: Any) -> None:
    server = await start_server(offline_grace=GRACE_S)
    page, watch = await open_page(browser, await login_link(server, "/"))
    await wait_live(page)
    await page.evaluate("window.__sameDocument = true")
    assert await error_ids(page) == []

    async with charger16(server.address.ocpp, "EVGO-E2E-1") as cp:
        await boot16(cp, vendor="EVgo Test", model="MREC-1")
        await send_status16(cp, errorCode="OtherError", status="Finishing", vendorId=EVGO,
                            vendorErrorCode="F001,F003", info="1.11,5.00",
                            timestamp="2026-01-10T14:51:17Z")
        f001, f003 = row(page, "EVGO-E2E-1", "F001"), row(page, "EVGO-E2E-1", "F003")
        await f001.wait_for(timeout=LIVE_MS)
        await f003.wait_for(timeout=LIVE_MS)
        assert "1.11 VDC" in await f001.inner_text()
        assert "5.00 VDC" in await f003.inner_text()
        marker = page.locator('#points-body tr[data-id="EVGO-E2E-1"] details.marker')
        await marker.wait_for(timeout=LIVE_MS)

        await send_status16(cp, errorCode="NoError", status="Available")
        await f001.wait_for(state="detached", timeout=LIVE_MS)
        await f003.wait_for(state="detached", timeout=LIVE_MS)
        await marker.wait_for(state="detached", timeout=LIVE_MS)

    # The connection is gone; after the grace period the charger counts as offline.
    notice = page.locator("#notices-list li", has_text="EVGO-E2E-1")
    await notice.wait_for(timeout=GRACE_S * 1000 + LIVE_MS)
    pill = page.locator('#points-body tr[data-id="EVGO-E2E-1"] .pill.offline')
    await pill.wait_for(timeout=LIVE_MS)
    assert await page.evaluate("window.__sameDocument") is True  # never reloaded
    assert watch.problems == []
    await page.context.close()  # let the event stream go before the server stops
