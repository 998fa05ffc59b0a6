"""Shared by the browser tests: Debian's Chromium driven by Playwright, and page helpers.

(The module holds no tests; its name keeps it with the browser tests it serves.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DOC_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# The README's pictures are refreshed only when asked (EVFAULT_UPDATE_SCREENSHOTS=1 make test):
# a test run must not leave the checkout modified.
SCREENSHOTS = (DOC_SCREENSHOTS if os.environ.get("EVFAULT_UPDATE_SCREENSHOTS")
               else Path(tempfile.gettempdir()) / "evfault-screenshots")
# The one timed promise the dashboard makes: a change shows within a second or two.
LIVE_MS = 2000

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason=f"no Chromium at {CHROMIUM}")


@pytest.fixture(name="browser")
async def browser_fixture() -> AsyncIterator[Any]:
    """A headless Chromium (Debian's; never a downloaded build)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@dataclass
class Watch:
    """What a page complained about: script errors, policy violations, alert dialogs."""

    problems: list[str]
    dialogs: list[str]


async def open_page(browser: Any, url: str, **context: Any) -> tuple[Any, Watch]:
    ctx = await browser.new_context(**context)
    page = await ctx.new_page()
    watch = Watch([], [])
    page.on("pageerror", lambda exc: watch.problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: watch.problems.append(f"console: {msg.text}")
            if msg.type == "error" else None)

    async def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    await page.goto(url)
    return page, watch


async def wait_live(page: Any) -> None:
    """Until the page's event stream is open (it then loads its view)."""
    await page.wait_for_selector('#live[data-state="live"]', timeout=5000)


async def error_ids(page: Any) -> list[str]:
    """The incident ids in the Error Notifications tile, top to bottom."""
    ids: list[str] = await page.eval_on_selector_all(
        "#errors-table tbody tr", "rows => rows.map(r => r.dataset.id)")
    return ids
