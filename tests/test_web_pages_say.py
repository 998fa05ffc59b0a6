"""What the pages say: a pill that fits the severity, Markdown rendered, the charger's own
precision, no doubled edition, unknown connectors while offline, a first connection is not a
return, and times in the operator's zone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from evfault.context import Services
from evfault.settings import Settings
from evfault.store.model import WriteBatch
from evfault.tracking.model import ConnectivityChange
from evfault.web.app import create_app
from evfault.web.text import edition, inline_markdown, pill, reading_as_sent
from test_web_pages import page, section, text_of
from test_web_support import (
    ago,
    charger_facts,
    client_for,
    incident,
    services_for,
    standard_fleet,
    start_store,
    trusted,
)


def fleet() -> WriteBatch:
    b = standard_fleet()
    charger_facts(b, "CP-9", "ABB", "Terra 184", True, 1, {1: "Charging"})
    b.incidents.append(incident(
        "i-hot-critical", "CP-9", "GroundFailure", scheme="ocpp1.6", severity="critical",
        warning_only=True, status="Charging", opened_min=3))
    b.connectivity += [  # CP-4: connected once, never lost; CP-1 (the standard fleet's): its
        # first connection before it was lost and came back
        ConnectivityChange("CP-4", True, ago(300), "connected"),
        ConnectivityChange("CP-1", True, ago(540), "connected"),
    ]
    return b


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = await start_store(sqlite_url, fleet())
    services: Services = services_for(store)
    services.settings = Settings(db=sqlite_url, time_zone="Europe/Berlin")
    async with trusted(create_app(services)) as app, client_for(app) as made:
        yield made
    await store.close()


def test_the_pill_fits_the_severity() -> None:
    assert pill("warning")[0] == "charging possible"
    words, classes = pill("critical")
    assert "possible" not in words and "tag-critical" in classes


async def test_no_green_reassurance_beside_a_critical_fault(client: httpx.AsyncClient) -> None:
    html = await page(client, "/chargers/CP-9")
    row = html[html.index('data-id="i-hot-critical"'):]
    row = row[: row.index("</tr>")]
    assert "still charging: check now" in row and "tag-critical" in row
    assert "charging possible" not in row
    board = (await client.get("/api/v1/dashboard")).json()
    hot = next(e for e in board["errors"] if e["id"] == "i-hot-critical")
    assert hot["pill"] == {"text": "still charging: check now", "class": "tag tag-critical"}
    warm = next(e for e in board["errors"] if e["id"] == "i-temp")
    assert warm["pill"]["text"] == "charging possible"


def test_markdown_is_rendered_and_never_injects() -> None:
    assert inline_markdown("Compare `info` with the limit") == \
        "Compare <code>info</code> with the limit"
    assert "<script>" not in inline_markdown("<script>alert(1)</script> `x`")


async def test_help_steps_show_code_not_backticks(client: httpx.AsyncClient) -> None:
    html = await page(client, "/help/evgo-mrec/F001")
    assert "<code>info</code>" in html
    steps = section(html, "operator-heading")
    assert "`" not in text_of(steps[: steps.index("</ol>")])


@pytest.mark.parametrize(("standard", "version", "shown"), [
    ("Open Charge Point Protocol 1.6", "1.6 edition 2 (2017-09-28)", "edition 2 (2017-09-28)"),
    ("Open Charge Point Protocol 2.0.1", "2.0.1", ""),
    ("EVgo Minimum Required Error Codes", "1.0.1", "1.0.1"),
])
def test_a_source_line_names_its_edition_once(standard: str, version: str, shown: str) -> None:
    assert edition(standard, version) == shown


async def test_the_help_page_source_has_no_doubled_version(client: httpx.AsyncClient) -> None:
    words = text_of(await page(client, "/help/ocpp1.6/GroundFailure"))
    assert "Open Charge Point Protocol 1.6 edition 2" in words
    assert "1.6 1.6" not in words
    assert "2.0.1 2.0.1" not in text_of(await page(client, "/help/chargex-mrec/CX001"))


def test_readings_keep_the_chargers_precision() -> None:
    assert reading_as_sent("1.11,5.00", 5.0) == "5.00"
    assert reading_as_sent("0.50", 0.5) == "0.50"
    assert reading_as_sent(None, 2.5) == "2.5"


async def test_an_offline_chargers_connectors_are_unknown(client: httpx.AsyncClient) -> None:
    board = (await client.get("/api/v1/dashboard")).json()
    offline = next(c for c in board["chargers"] if c["id"] == "CP-3")
    assert all(c["unknown_since"] for c in offline["connectors"])
    online = next(c for c in board["chargers"] if c["id"] == "CP-1")
    assert not any(c["unknown_since"] for c in online["connectors"])
    html = await page(client, "/")
    row = html[html.index('<tr data-id="CP-3"'):]
    row = text_of(row[: row.index("</tr>")])
    assert "unknown since" in row and "Available" not in row


async def test_a_first_connection_is_not_back_online(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/v1/chargers/CP-4")).json()["timeline"]
    assert [t["title"] for t in first if t["kind"] in ("online", "connected")] == ["Connected"]
    again = (await client.get("/api/v1/chargers/CP-1")).json()["timeline"]
    titles = [t["title"] for t in again if t["kind"] in ("online", "connected")]
    assert titles == ["Back online", "Connected"]  # newest first


async def test_pages_carry_the_operators_time_zone(client: httpx.AsyncClient) -> None:
    html = await page(client, "/chargers/CP-1")
    assert 'data-tz="Europe/Berlin"' in html
    assert '<time class="clock" datetime="' in html
