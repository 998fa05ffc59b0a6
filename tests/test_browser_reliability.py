"""The Reliability page in a real headless Chromium: every plot renders, and each has its
title, axes with labels and units, and (for uptime) the 97 % line; in German too."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from analytics_support import run_script, uptime_script
from test_browser_dashboard import serve  # noqa: F401 - provides the `serve` fixture
from test_browser_support import (
    SCREENSHOTS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
)
from test_reports_api import YEAR_Q

pytestmark = [pytest.mark.browser, needs_chromium]

# What each plot must show: its title, then the words that label its axes (units included).
EXPECTED = {
    "en": {"mttr": ["Mean time to repair by code", "Mean time to repair (minutes)",
                    "Error code"],
           "uptime": ["Uptime per port, lowest first", "Uptime (%)",
                      "Ports, lowest uptime first", "NEVI target 97 %"],
           "over_time": ["Incidents over time", "Incidents opened per day", "Date"],
           "worst": ["Worst chargers", "Incidents in the period", "Charger"]},
    "de": {"uptime": ["Verfügbarkeit je Ladepunkt, niedrigste zuerst", "Verfügbarkeit (%)",
                      "NEVI-Ziel 97 %"],
           "mttr": ["Mittlere Reparaturzeit (Minuten)"]},
}


async def plot_facts(browser: Any, svg: str) -> dict[str, Any]:
    """Open one plot as its own document and read what Chromium drew."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.set_content(svg)
    facts: dict[str, Any] = await page.evaluate("""() => {
        const svg = document.querySelector('svg');
        const box = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')].map(t => t.textContent.trim());
        const axes = svg.querySelectorAll('[id^="axes_"]').length;
        const ticks = svg.querySelectorAll('[id^="xtick_"], [id^="ytick_"]').length;
        const drawn = [...svg.querySelectorAll('path')].filter(p => {
            const b = p.getBBox(); return b.width > 0 || b.height > 0; }).length;
        return {width: box.width, height: box.height, texts, axes, ticks, drawn};
    }""")
    await context.close()
    return facts


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_plots_render_with_axes_labels_and_units(serve: Any, browser: Any,  # noqa: F811
                                                       sqlite_url: str, lang: str) -> None:
    await run_script(sqlite_url, uptime_script())
    live = await serve(sqlite_url)
    page, watch = await open_page(browser, await live.login(f"/reliability?{YEAR_Q}&lang={lang}"),
                                  viewport={"width": 1400, "height": 1000})
    await page.wait_for_selector("#plot-uptime img")
    images = await page.eval_on_selector_all(".rel-plot img", """imgs => imgs.map(i => ({
        id: i.parentElement.id, src: i.src, ok: i.complete && i.naturalWidth > 0,
        width: i.getBoundingClientRect().width}))""")
    assert [i["id"] for i in images] == ["plot-mttr", "plot-uptime", "plot-over_time",
                                         "plot-worst"]
    for image in images:
        assert image["ok"] and image["width"] > 300, image["id"]  # decoded and laid out
        svg = base64.b64decode(image["src"].split(",", 1)[1]).decode()
        facts = await plot_facts(browser, svg)
        assert facts["width"] > 300 and facts["height"] > 150
        assert facts["axes"] >= 1 and facts["ticks"] >= 4 and facts["drawn"] > 5, image["id"]
        name = image["id"].removeprefix("plot-")
        for words in EXPECTED[lang].get(name, []):
            assert words in facts["texts"], (name, words, facts["texts"])
    assert not watch.problems, watch.problems
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"reliability-{lang}.png"), full_page=True)
    await asyncio.sleep(0)
