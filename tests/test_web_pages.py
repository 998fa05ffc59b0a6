"""The HTML pages: they show the data, escape whatever a charger sent, and explain codes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest

from evfault.web.app import create_app
from evfault.web.templates import STATIC_DIR, templates
from test_web_support import (
    EVIL,
    EVIL_ID,
    client_for,
    evil_fleet,
    services_for,
    standard_fleet,
    start_store,
)


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = await start_store(sqlite_url, standard_fleet())
    async with client_for(create_app(services_for(store))) as client:
        yield client
    await store.close()


@pytest.fixture
async def evil_client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = await start_store(sqlite_url, evil_fleet())
    async with client_for(create_app(services_for(store))) as client:
        yield client
    await store.close()


async def page(client: httpx.AsyncClient, url: str, status: int = 200) -> str:
    response = await client.get(url, headers={"accept": "text/html"})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def text_of(html: str) -> str:
    """The page's visible words, roughly: tags dropped, entities decoded, spaces squeezed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start:]


# ---- the dashboard -----------------------------------------------------------------------


async def test_dashboard_lists_every_active_error_with_its_reading(
    client: httpx.AsyncClient,
) -> None:
    html = await page(client, "/")
    tile = text_of(section(html, "errors-tile").split('id="notices-tile"')[0])
    for words in ("F001", "Proximity voltage too low", "1.11 VDC", "42 min",
                  "F003", "5.00 VDC", "HighTemperature", "charging possible", "GroundFailure"):
        assert words in tile, words
    assert "F000" not in tile  # cleared: it has left the tile


async def test_dashboard_tile_most_severe_then_oldest_first(client: httpx.AsyncClient) -> None:
    html = section(await page(client, "/"), "errors-tile")
    order = [html.index(f'data-id="{i}"') for i in ("i-old-critical", "i-f001", "i-temp")]
    assert order == sorted(order)


async def test_dashboard_marks_points_with_errors_and_explains_them(
    client: httpx.AsyncClient,
) -> None:
    html = section(await page(client, "/"), "points-tile")
    rows = dict(re.findall(r'<tr data-id="([^"]+)"(.*?)</tr>', html, re.S))
    assert rows.keys() == {"CP-1", "CP-2", "CP-3", "CP-4"}
    assert 'class="marker"' in rows["CP-1"] and 'class="marker"' in rows["CP-2"]
    assert 'class="marker"' not in rows["CP-3"] and 'class="marker"' not in rows["CP-4"]
    cp1 = text_of(rows["CP-1"])
    assert "Recommended steps" in cp1
    assert "Compare the voltage" in cp1  # F001's first operator step, from the catalog
    assert "ABB" in cp1 and "Terra 184" in cp1 and "Finishing" in cp1
    assert "Offline" in text_of(rows["CP-3"])


async def test_dashboard_shows_offline_chargers_as_platform_notifications(
    client: httpx.AsyncClient,
) -> None:
    tile = text_of(section(await page(client, "/"), "notices-tile").split("points-tile")[0])
    assert "Charger offline" in tile and "CP-3" in tile and "3 h 00 min" in tile
    assert "breaker" in tile  # the catalog's operator steps come along


async def test_dashboard_filters(client: httpx.AsyncClient) -> None:
    tile = text_of(section(await page(client, "/?severity=warning"), "errors-tile")
                   .split("notices-tile")[0])
    assert "HighTemperature" in tile and "F001" not in tile
    html = await page(client, "/?charger=CP-1&code=F003")
    tile = text_of(section(html, "errors-tile").split("notices-tile")[0])
    assert "F003" in tile and "F001" not in tile
    assert 'data-id="CP-2"' not in section(html, "points-tile")


async def test_dashboard_of_an_empty_fleet(sqlite_url: str) -> None:
    store = await start_store(sqlite_url)
    async with client_for(create_app(services_for(store))) as client:
        words = text_of(await page(client, "/"))
    await store.close()
    assert "No active errors." in words and "No charger has connected yet." in words


async def test_dashboard_bad_filter_is_a_400_page(client: httpx.AsyncClient) -> None:
    html = await page(client, "/?severity=doom", 400)
    assert "severity must be one of" in text_of(html)


async def test_dashboard_pages_load_only_local_assets(client: httpx.AsyncClient) -> None:
    for url in ("/", "/chargers/CP-1", "/help", "/help/evgo-mrec/F001"):
        html = await page(client, url)
        for asset in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
            assert asset.startswith("/static/"), asset
            assert (await client.get(asset)).status_code == 200
        assert "<script>" not in html and "style=" not in html  # nothing inline


# ---- the charger page ------------------------------------------------------------------


async def test_charger_page_shows_connectors_errors_timeline_and_messages(
    client: httpx.AsyncClient,
) -> None:
    html = await page(client, "/chargers/CP-1")
    words = text_of(html)
    for expected in ("ABB", "Terra 184", "SN-CP-1", "#1", "Finishing", "F001", "1.11 VDC",
                     "Charging → Finishing", "error cleared", "cleared by NoError"):
        assert expected in words, expected
    timeline = text_of(section(html, "timeline").split('id="incidents-heading"')[0])
    assert "offline" in timeline and "until 2024-05-01 08:00:00 UTC (1 h 00 min)" in timeline
    messages = section(html, "messages")
    assert "[2,&#34;a1&#34;,&#34;StatusNotification&#34;" in messages
    assert "charger → evfault" in text_of(messages)


async def test_unknown_charger_page_is_a_404_page(client: httpx.AsyncClient) -> None:
    html = await page(client, "/chargers/NOPE", 404)
    assert "NOPE" in text_of(html)


# ---- escaping --------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """Nothing a charger sent became an element, a script or an event handler."""
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("img", "svg", "b", "iframe", "object"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), attrs
        for name in ("href", "src", "action"):
            assert not (attrs.get(name) or "").lower().startswith("javascript:"), attrs
    assert "&lt;script&gt;" in html  # the text is there, shown as text


async def test_injected_text_is_escaped_on_the_dashboard(evil_client: httpx.AsyncClient) -> None:
    html = await page(evil_client, "/")
    assert_inert(html)
    words = text_of(html)
    assert EVIL in words and EVIL_ID in words  # shown to the operator, as text


async def test_injected_text_is_escaped_on_the_charger_page(
    evil_client: httpx.AsyncClient,
) -> None:
    html = await page(evil_client, "/chargers/" + quote(EVIL_ID, safe=""))
    assert_inert(html)
    assert EVIL in text_of(html)


async def test_injected_text_is_escaped_in_filters_and_errors(
    evil_client: httpx.AsyncClient,
) -> None:
    html = await page(evil_client, "/?charger=" + quote(EVIL) + "&code=" + quote(EVIL))
    assert_inert(html)
    html = await page(evil_client, "/chargers/" + quote(EVIL, safe=""), 404)
    assert_inert(html)
    html = await page(evil_client, "/help?q=" + quote(EVIL))
    assert_inert(html)


def test_templates_autoescape_everything() -> None:
    template = templates.env.from_string("{{ value }}")
    assert template.render(value="<b>") == "&lt;b&gt;"


def test_scripts_never_insert_html() -> None:
    for script in STATIC_DIR.glob("*.js"):
        source = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{script.name} uses {sink}"


# ---- driver help pages -------------------------------------------------------------------


async def test_help_page_has_every_section(client: httpx.AsyncClient) -> None:
    html = await page(client, "/help/evgo-mrec/F001")
    words = text_of(html)
    assert "Proximity voltage too low" in words
    assert 'class="badge sev-critical"' in html
    for heading in ("Seeing this on the charger right now?", "What to do next",
                    "Technical details", "Related codes", "For the site operator"):
        assert heading in words, heading
    meaning = text_of(section(html, "meaning").split("</p>")[0])
    assert "plug" in meaning  # the plain-language summary
    for detail in ("Error code", "Category", "Classification", "Source", "safety",
                   "EVgo Minimum Required Error Codes", "OtherError", "1.23"):
        assert detail in words, detail
    assert "CX023" in text_of(section(html, "related-heading"))
    assert "stop charging, step away" in text_of(section(html, "safety"))


async def test_help_search_finds_codes_from_screen_words(client: httpx.AsyncClient) -> None:
    html = await page(client, "/help?q=cable+check+failed")
    results = text_of(section(html, "results"))
    assert results.index("CX011") < results.index("</ul>") if "</ul>" in results else True
    assert "Cable check failed" in results
    assert 'href="/help/' in section(html, "results")


async def test_help_search_with_one_exact_code_goes_to_its_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/help?q=cx011")
    assert response.status_code == 303
    assert response.headers["location"] == "/help/chargex-mrec/CX011"
    response = await client.get("/help?q=evgo-mrec:F002&lang=fr")
    assert response.headers["location"] == "/help/evgo-mrec/F002?lang=fr"


async def test_help_search_without_a_match_says_so(client: httpx.AsyncClient) -> None:
    words = text_of(await page(client, "/help?q=zzzqqq"))
    assert "Nothing matches" in words and "zzzqqq" in words


async def test_help_index_lists_every_scheme(client: httpx.AsyncClient) -> None:
    words = text_of(await page(client, "/help"))
    for title in ("EVgo Minimum Required Error Codes", "OCPP 1.6"):
        assert title in words
    assert "F001" in words and "CX011" in words


async def test_help_language_falls_back_to_english(client: httpx.AsyncClient) -> None:
    html = await page(client, "/help/evgo-mrec/F001?lang=sv")
    assert '<html lang="en">' in html
    assert "Proximity voltage too low" in html


async def test_help_for_an_unknown_code_is_a_404_page(client: httpx.AsyncClient) -> None:
    html = await page(client, "/help/evgo-mrec/F999", 404)
    assert "F999" in text_of(html) and 'action="/help"' in html


async def test_html_and_json_twins_agree(client: httpx.AsyncClient) -> None:
    twin = (await client.get("/api/v1/codes/chargex-mrec/CX011")).json()
    words = text_of(await page(client, "/help/chargex-mrec/CX011"))
    assert twin["title"] in words and twin["summary"] in words
    for step in twin["driver_now"] + twin["driver_next"]:
        assert step in words
