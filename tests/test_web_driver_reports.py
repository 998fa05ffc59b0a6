""""Report a problem" on /c/{id}: no account, a signed form token, a limit per address, stored
in the database and shown to operators (dashboard and API). SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from evfault.web.app import create_app
from evfault.web.i18n import default_strings
from test_web_support import (
    EVIL,
    client_for,
    services_for,
    standard_fleet,
    start_store,
)

STRINGS = default_strings()


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[Starlette]:
    store = await start_store(db_url, standard_fleet())
    services = services_for(store)
    services.settings = services.settings.with_overrides(driver_reports_per_hour=3)
    yield create_app(services)
    await store.close()


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "the page has no report form"
    return found.group(1)


async def send(client: httpx.AsyncClient, charger: str, token: str, **fields: str) -> Any:
    data = {"token": token, "message": "Cable stuck, screen says F001", **fields}
    return await client.post(f"/c/{charger}?lang=de", data=data, follow_redirects=False)


async def test_a_driver_without_an_account_reports_and_the_operator_sees_it(
    app: Starlette,
) -> None:
    async with client_for(app, role=None) as driver:
        page = await driver.get("/c/CP-1?lang=de")
        assert STRINGS["de"]("driver.report.heading") in page.text
        sent = await send(driver, "CP-1", token_of(page.text), contact="+49 170 000",
                          connector="1")
        assert sent.status_code == 303
        assert sent.headers["location"].endswith("report=sent#report")
        thanks = await driver.get(sent.headers["location"])
        assert STRINGS["de"]("driver.report.thanks") in thanks.text
        # Drivers cannot read the reports.
        assert (await driver.get("/api/v1/driver-reports")).status_code == 401
    async with client_for(app, role="viewer") as operator:
        listed = (await operator.get("/api/v1/driver-reports")).json()["reports"]
        assert len(listed) == 1
        report = listed[0]
        assert report["charger_id"] == "CP-1" and report["connector_id"] == 1
        assert report["message"] == "Cable stuck, screen says F001"
        assert report["contact"] == "+49 170 000" and report["lang"] == "de"
        assert "sender" not in report and "127.0.0.1" not in str(report)
        dashboard = (await operator.get("/")).text
        assert "Cable stuck, screen says F001" in dashboard
        assert 'id="driver-reports-tile"' in dashboard


async def test_an_operator_marks_a_report_seen_and_it_leaves_the_dashboard(
    app: Starlette,
) -> None:
    async with client_for(app, role=None) as driver:
        page = await driver.get("/c/CP-2")
        assert (await send(driver, "CP-2", token_of(page.text))).status_code == 303
    async with client_for(app, role="operator") as operator:
        [report] = (await operator.get("/api/v1/driver-reports?unseen=true")).json()["reports"]
        marked = await operator.post(f"/driver-reports/{report['id']}/seen",
                                     follow_redirects=False)
        assert marked.status_code == 303
        assert (await operator.get("/api/v1/driver-reports?unseen=true")).json()["reports"] == []
        assert "Cable stuck" not in (await operator.get("/")).text
        again = (await operator.get("/api/v1/driver-reports")).json()["reports"][0]
        assert again["seen_by"] and again["seen_at"]
        missing = await operator.post("/api/v1/driver-reports/999999/seen")
        assert missing.status_code == 404


async def test_the_limit_per_address_holds(app: Starlette) -> None:
    async with client_for(app, role=None) as driver:
        token = token_of((await driver.get("/c/CP-1")).text)
        for _ in range(3):
            assert (await send(driver, "CP-1", token)).status_code == 303
        refused = await send(driver, "CP-1", token, message="fourth")
        assert refused.status_code == 429
        assert STRINGS["de"]("driver.report.too_many") in refused.text
        assert "fourth" in refused.text  # the driver's words are kept in the form
        # The page shown again is the page itself: its language links stay on it.
        assert 'href="/c/CP-1?lang=pl"' in refused.text
    async with client_for(app, role="viewer") as operator:
        assert len((await operator.get("/api/v1/driver-reports")).json()["reports"]) == 3


async def test_a_report_needs_a_token_signed_for_that_charger(app: Starlette) -> None:
    async with client_for(app, role=None) as driver:
        token = token_of((await driver.get("/c/CP-1")).text)
        assert (await send(driver, "CP-1", "forged")).status_code == 403
        assert (await send(driver, "CP-2", token)).status_code == 403  # CP-1's token
        empty = await send(driver, "CP-1", token, message="   ")
        assert empty.status_code == 400
        assert STRINGS["de"]("driver.report.empty") in empty.text
        cross_site = await driver.post("/c/CP-1", data={"token": token, "message": "x"},
                                       headers={"origin": "https://evil.example"})
        assert cross_site.status_code == 403
        unknown = await driver.post("/c/NOPE", data={"token": token, "message": "x"})
        assert unknown.status_code == 404
    async with client_for(app, role="viewer") as operator:
        assert (await operator.get("/api/v1/driver-reports")).json()["reports"] == []


async def test_a_drivers_words_are_escaped_for_the_operator(app: Starlette) -> None:
    async with client_for(app, role=None) as driver:
        token = token_of((await driver.get("/c/CP-1")).text)
        assert (await send(driver, "CP-1", token, message=EVIL, contact=EVIL)).status_code == 303
    async with client_for(app, role="viewer") as operator:
        dashboard = (await operator.get("/")).text
        assert EVIL not in dashboard and "&lt;script&gt;" in dashboard


async def test_zero_reports_an_hour_closes_the_form(sqlite_url: str) -> None:
    store = await start_store(sqlite_url, standard_fleet())
    services = services_for(store)
    services.settings = services.settings.with_overrides(driver_reports_per_hour=0)
    async with client_for(create_app(services), role=None) as driver:
        page = await driver.get("/c/CP-1")
        assert 'id="report-form"' not in page.text
        assert STRINGS["en"]("driver.report.closed") in page.text
        refused = await driver.post("/c/CP-1", data={"token": "x", "message": "x"})
        assert refused.status_code == 403
    await store.close()
