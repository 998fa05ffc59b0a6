"""The help pages in every language, in a real headless Chromium against a real uvicorn."""

from __future__ import annotations

from typing import Any

import pytest

import test_browser_dashboard
from evfault.web.i18n import default_strings
from test_browser_support import (
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
)

pytestmark = [pytest.mark.browser, needs_chromium]
serve = test_browser_dashboard.serve  # the real uvicorn on port 0 the dashboard tests use

STRINGS = default_strings()
LANGUAGES = STRINGS.languages
F001 = "/help/evgo-mrec/F001"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
# A browser set to a regional variant: the page answers in the language itself.
REGIONAL = {"en": "en-GB", "de": "de-AT", "fr": "fr-CA", "es": "es-MX", "it": "it-CH",
            "nl": "nl-BE", "pt": "pt-BR", "pl": "pl-PL"}


async def page_language(page: Any) -> str:
    lang: str = await page.evaluate("document.documentElement.lang")
    return lang


async def assert_in_language(page: Any, lang: str) -> None:
    assert await page_language(page) == lang
    heading = STRINGS.words[lang]("code.now")
    assert await page.get_by_role("heading", name=heading).is_visible()
    safety = await page.locator("#safety").inner_text()
    assert STRINGS.words[lang]("safety.action") in safety


async def test_each_language_by_query(serve: Any, browser: Any, sqlite_url: str) -> None:
    live = await serve(sqlite_url)
    assert len(LANGUAGES) >= 8
    for lang in LANGUAGES:
        page, watch = await open_page(browser, f"{live.url}{F001}?lang={lang}")
        await assert_in_language(page, lang)
        assert watch.problems == []
        await page.context.close()


async def test_each_language_by_the_picker_and_its_cookie(
    serve: Any, browser: Any, sqlite_url: str
) -> None:
    live = await serve(sqlite_url)
    page, watch = await open_page(browser, live.url + F001, locale="en-US")
    await assert_in_language(page, "en")
    for lang in (*LANGUAGES[1:], "en"):
        await page.click("#lang-picker > summary")
        await page.click(f'#lang-picker a[hreflang="{lang}"]')
        await page.wait_for_url(f"**{F001}?lang={lang}")
        await assert_in_language(page, lang)
        await page.goto(live.url + F001)  # no ?lang=: the cookie the picker set decides
        await assert_in_language(page, lang)
    assert watch.problems == []


async def test_each_language_by_accept_language(
    serve: Any, browser: Any, sqlite_url: str
) -> None:
    live = await serve(sqlite_url)
    for lang in LANGUAGES:
        page, watch = await open_page(browser, live.url + F001, locale=REGIONAL.get(lang, lang))
        await assert_in_language(page, lang)
        assert watch.problems == []
        await page.context.close()


async def test_no_language_scrolls_sideways_on_a_phone(
    serve: Any, browser: Any, sqlite_url: str
) -> None:
    """Every language at 390 px, so the longest one is among them; the picker open too."""
    live = await serve(sqlite_url)
    lengths: dict[str, int] = {}
    for lang in LANGUAGES:
        page, watch = await open_page(browser, f"{live.url}{F001}?lang={lang}", **PHONE)
        lengths[lang] = len(await page.inner_text("main"))
        for path in (F001, "/help", "/help/evgo-mrec/F999", "/help?q=ground"):
            await page.goto(f"{live.url}{path}{'&' if '?' in path else '?'}lang={lang}")
            await page.click("#lang-picker > summary")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} in {lang} is {width} px wide"
            if "F999" in path:  # the unknown-code page is a 404, which Chromium logs
                watch.problems[:] = [p for p in watch.problems if "status of 404" not in p]
        assert watch.problems == []
        await page.context.close()
    longest = max(lengths, key=lambda lang: lengths[lang])
    assert lengths[longest] > lengths["en"]  # translations run longer: the test saw the worst
