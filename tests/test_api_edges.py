"""Query values at the edges answer 400 with one sentence, never 500: times before 1970 or past
8999 (year 1 at +14:00 is before the first time Python can hold in UTC), a quarter in year 1,
NUL characters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from evfault.context import Services
from evfault.web.app import create_app
from test_web_support import client_for, services_for, standard_fleet, start_store, trusted

EXTREME = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01",
           "1969-12-31T23:59:59Z"]
WINDOWED = ["/api/v1/errors", "/api/v1/reports/mttr", "/api/v1/reports/uptime",
            "/api/v1/reports/outages", "/api/v1/reports/reliability"]


@pytest.fixture
async def services(sqlite_url: str) -> AsyncIterator[Services]:
    store = await start_store(sqlite_url, standard_fleet())
    yield services_for(store)
    await store.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with trusted(create_app(services)) as app, client_for(app, raise_errors=False) as c:
        yield c


@pytest.mark.parametrize("endpoint", WINDOWED)
@pytest.mark.parametrize("name", ["since", "until"])
async def test_extreme_times_are_a_sentence(client: httpx.AsyncClient, endpoint: str,
                                            name: str) -> None:
    for value in EXTREME:
        response = await client.get(f"{endpoint}?{name}={quote(value)}")
        assert response.status_code == 400, (endpoint, value, response.text)
        error = response.json()["error"]
        assert name in error and "1970" in error and error.endswith(".")


async def test_a_quarter_in_year_one_is_a_sentence(client: httpx.AsyncClient) -> None:
    for quarter in ("0001Q1", "9999Q4"):
        response = await client.get(f"/api/v1/reports/ev-chart?quarter={quarter}")
        assert response.status_code == 400 and response.json()["error"].endswith(".")


@pytest.mark.parametrize("query", ["code=%00", "charger_id=a%00b", "since=%00",
                                   "severity=%00", "state=%00"])
async def test_a_nul_in_a_query_is_never_a_server_error(client: httpx.AsyncClient,
                                                        query: str) -> None:
    response = await client.get(f"/api/v1/errors?{query}")
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["error"].endswith(".")


async def test_ordinary_times_still_work(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/errors?since=2024-05-01T00:00:00%2B02:00")
    assert response.status_code == 200
