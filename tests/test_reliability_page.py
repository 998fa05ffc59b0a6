"""The Reliability page in every language, its JSON twin, the analyze --html file (nothing
outside it) and the --pdf report turned into pictures."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from starlette.applications import Starlette

from analytics_support import run_script, uptime_script
from evfault.web.app import create_app
from evfault.web.i18n import default_strings
from test_analyze import cli
from test_reports_api import YEAR_Q, get
from test_web_support import client_for, services_for, start_store, trusted

LANGS = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")
IMG = re.compile(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"')


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[Starlette]:
    await run_script(sqlite_url, uptime_script())
    store = await start_store(sqlite_url)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    async with trusted(create_app(services_for(store, clock=lambda: end))) as made:
        yield made
    await store.close()


def plots_of(html: str) -> dict[str, str]:
    """alt text → SVG text of every plot on a page."""
    return {unescape(alt): unescape(base64.b64decode(data).decode())
            for data, alt in IMG.findall(html)}


@pytest.mark.parametrize("lang", LANGS)
async def test_the_page_speaks_each_language_down_to_the_axes(app: Starlette, lang: str) -> None:
    t = default_strings()[lang]
    async with client_for(app, role="viewer") as client:
        response = await client.get(f"/reliability?{YEAR_Q}&lang={lang}")
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{lang}">' in html and t("reliability.heading") in unescape(html)
    plots = plots_of(html)
    assert set(plots) == {t("reliability.mttr_title"), t("reliability.uptime_title"),
                          t("reliability.over_time_title"), t("reliability.worst_title")}
    uptime = plots[t("reliability.uptime_title")]
    for label in (t("reliability.uptime_axis"), t("reliability.ports_axis"),
                  t("reliability.target_line", target="97")):
        assert label in uptime, label
    assert t("reliability.mttr_axis") in plots[t("reliability.mttr_title")]
    assert "GroundFailure" in html and "270.0" in html  # the MTTR table


async def test_the_json_twin_and_login(app: Starlette) -> None:
    async with client_for(app, role="viewer") as client:
        body = await get(client, f"/api/v1/reports/reliability?{YEAR_Q}", "ReliabilityReport")
    assert body["totals"]["ports"] == 2 and body["success"][0]["sessions"] == 1
    async with client_for(app, role=None) as nobody:
        assert (await nobody.get("/api/v1/reports/reliability")).status_code == 401
        page = await nobody.get("/reliability")
        assert page.status_code in (302, 303) and "/login" in page.headers["location"]


async def test_analyze_writes_one_self_contained_file_and_a_pdf(app: Starlette, sqlite_url: str,
                                                                tmp_path: Path) -> None:
    log, html, pdf = tmp_path / "year.jsonl", tmp_path / "report.html", tmp_path / "report.pdf"
    assert cli("export", "--db", sqlite_url, "--out", str(log))[0] == 0
    code, _, err = cli("analyze", str(log), "--since", "2026-01-01", "--until", "2027-01-01",
                       "--html", str(html), "--pdf", str(pdf), "--lang", "fr")
    assert code == 0, err
    text = html.read_text()
    assert not re.search(r'(?:src|href)="(?!data:)', text), "the file links something outside"
    assert len(plots_of(text)) == 4 and "Fiabilité du réseau" in text
    async with client_for(app, role="viewer") as client:
        page = (await client.get(f"/reliability?{YEAR_Q}&lang=fr")).text
    body = re.compile(r'<div class="rel">.*?<p class="rel-foot">', re.S)
    same = body.search(page), body.search(text)
    assert same[0] and same[1] and same[0].group(0) == same[1].group(0)  # the same page

    import pymupdf

    document = pymupdf.open(pdf)
    assert document.page_count == 5  # a summary page, then four plots
    assert "Rapport de fiabilité" in document[0].get_text()
    for number in range(document.page_count):
        picture = document[number].get_pixmap(dpi=50)
        png = tmp_path / f"page{number}.png"
        picture.save(png)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        samples = picture.samples
        ink = sum(1 for i in range(0, len(samples), 3) if samples[i] < 200)
        assert ink > 500, f"page {number + 1} is blank"
    uptime_page = document[2].get_text()
    assert "Disponibilité (%)" in uptime_page and "Objectif NEVI 97 %" in uptime_page


def test_a_bad_language_or_folder_is_one_sentence(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("")
    code, _, err = cli("analyze", str(log), "--html", str(tmp_path / "r.html"), "--lang", "xx")
    assert code != 0 and "--lang must be one of" in err
    code, _, err = cli("analyze", str(log), "--pdf", "/nowhere/r.pdf")
    assert code != 0 and "does not exist" in err


async def test_an_operator_excludes_an_outage_on_the_page(app: Starlette) -> None:
    from test_reports_api import EXCLUDED

    url = f"/reliability?{YEAR_Q}&lang=de"
    async with client_for(app, role="operator") as client:
        page = (await client.get(url)).text
        assert f'action="/reliability/outages/{EXCLUDED}/exclusion"' in page
        assert "Geplante Wartung" in page  # reason 3, in German
        sent = await client.post(f"/reliability/outages/{EXCLUDED}/exclusion",
                                 data={"reason": "3", "notes": "Firmware", "next": url})
        assert sent.status_code == 303 and sent.headers["location"] == url
        body = await get(client, f"/api/v1/reports/uptime?{YEAR_Q}")
    cp1 = next(p for p in body["ports"] if p["connector_id"] == 1)
    assert cp1["excluded_min"] == 1440
    async with client_for(app, role="viewer") as viewer:
        page = (await viewer.get(url)).text
        assert "<select" not in page and "3 · Geplante Wartung — Firmware" in unescape(page)
        refused = await viewer.post(f"/reliability/outages/{EXCLUDED}/exclusion",
                                    data={"reason": "4"})
        assert refused.status_code == 403
