"""Filters take what people type: any case, a charger's id or its start; a severity is checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from evfault.context import Services
from evfault.web.app import create_app
from test_web_support import client_for, services_for, standard_fleet, start_store, trusted


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = await start_store(sqlite_url, standard_fleet())
    services: Services = services_for(store)
    async with trusted(create_app(services)) as app, client_for(app) as made:
        yield made
    await store.close()


async def ids(client: httpx.AsyncClient, url: str) -> set[str]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    body: Any = response.json()
    return {e["id"] for e in body["errors"]}


@pytest.mark.parametrize("query", [
    "code=f001", "code=EVGO-MREC:f001", "code=evgo-mrec:F001", "charger=cp-1&code=f001",
])
async def test_active_codes_in_any_case(client: httpx.AsyncClient, query: str) -> None:
    assert await ids(client, f"/api/v1/errors/active?{query}") == {"i-f001"}


@pytest.mark.parametrize("query", [
    "code=f000", "code=evgo-mrec:f000", "charger_id=cp-1&code=F000",
    "charger_id=Cp-1&state=cleared",
])
async def test_history_codes_and_chargers_in_any_case(client: httpx.AsyncClient,
                                                      query: str) -> None:
    assert await ids(client, f"/api/v1/errors?{query}") == {"i-cleared"}


async def test_history_severity_filters(client: httpx.AsyncClient) -> None:
    assert await ids(client, "/api/v1/errors?severity=CRITICAL&state=active") == {
        "i-f001", "i-f003", "i-old-critical"}
    refused = await client.get("/api/v1/errors?severity=urgent")
    assert refused.status_code == 400 and "severity" in refused.json()["error"]


async def test_the_dashboard_charger_filter_takes_a_prefix_in_any_case(
        client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/dashboard?charger=cp-")).json()
    assert {c["id"] for c in body["chargers"]} == {"CP-1", "CP-2", "CP-3", "CP-4"}
    one = (await client.get("/api/v1/dashboard?charger=cp-2")).json()
    assert [c["id"] for c in one["chargers"]] == ["CP-2"]
    assert {e["charger_id"] for e in one["errors"]} == {"CP-2"}
    assert await ids(client, "/api/v1/errors/active?charger=cp-2") == {"i-temp", "i-old-critical"}


async def test_a_charger_page_in_any_case(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/chargers/cp-3")
    assert response.status_code == 200 and response.json()["id"] == "CP-3"
