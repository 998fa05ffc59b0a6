"""The help page's "Scan the screen" button in a real headless Chromium, on a phone's screen.

The photo is set on the file input as the phone's camera would hand it over; the page must send
it and land on the code's own page. (The OCR here runs with the network on, as the browser needs
the loopback; tests/scan/ proves it offline.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import test_browser_dashboard
from test_browser_support import (
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
)

serve = test_browser_dashboard.serve  # the web app on 127.0.0.1:0, as the dashboard tests use it
pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

IMAGES = Path(__file__).resolve().parent / "scan" / "images"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LONG_WAIT_MS = 120_000  # OCR on a busy two-core machine: generous, and ended by the page's change


async def test_scan_button_lands_on_the_code_page(serve: Any, browser: Any,
                                                  sqlite_url: str) -> None:
    live = await serve(sqlite_url)
    page, watch = await open_page(browser, live.url + "/help", **PHONE)
    button = page.get_by_text("Scan the screen", exact=True).last
    assert await button.is_visible()
    camera = page.locator("#scan-photo")
    assert await camera.get_attribute("capture") == "environment"
    await camera.set_input_files(str(IMAGES / "screen_001.jpg"))  # "Fehler CX006"
    await page.wait_for_url("**/help/chargex-mrec/CX006?lang=de", timeout=LONG_WAIT_MS,
                            wait_until="domcontentloaded")
    assert "CX006" in await page.locator(".code-chip").first.inner_text()
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    assert watch.problems == []


async def test_several_codes_become_a_list_to_pick_from(serve: Any, browser: Any,
                                                        sqlite_url: str) -> None:
    live = await serve(sqlite_url)
    page, watch = await open_page(browser, live.url + "/help/evgo-mrec/F001", **PHONE)
    await page.locator("#scan-photo").set_input_files(str(IMAGES / "screen_016.jpg"))
    choices = page.locator("#scan-choices a")
    await choices.first.wait_for(timeout=LONG_WAIT_MS)
    hrefs = {await a.get_attribute("href") for a in await choices.all()}
    assert {h.split("?")[0] for h in hrefs if h} == {"/help/evgo-mrec/A005",
                                                     "/help/chargex-mrec/CX017"}
    await choices.filter(has_text="CX017").click()
    await page.wait_for_url("**/help/chargex-mrec/CX017*", wait_until="domcontentloaded")
    assert watch.problems == []
