"""The reliability API on both databases: the hand-computed uptime to the minute (with an
operator's exclusion), MTTR, outages, EV-ChART; `analyze` on the export agrees; roles enforced."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openapi_schema_validator import OAS30Validator
from starlette.applications import Starlette

from analytics_support import (
    CP1_EXCLUDED_MIN,
    CP1_OUTAGE_MIN,
    CP1_UPTIME,
    CP2_UPTIME,
    EXCLUDED_START,
    run_script,
    uptime_script,
)
from evfault.analytics.uptime import outage_id
from evfault.web.app import create_app
from evfault.web.openapi import document
from test_analyze import cli
from test_web_support import client_for, services_for, start_store, trusted

END = datetime(2027, 1, 1, tzinfo=UTC)
YEAR_Q = "since=2026-01-01T00:00:00Z&until=2027-01-01T00:00:00Z"
EXCLUDED = outage_id("CP-1", 1, EXCLUDED_START)


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[Starlette]:
    await run_script(db_url, uptime_script())
    store = await start_store(db_url)
    async with trusted(create_app(services_for(store, clock=lambda: END))) as made:
        yield made
    await store.close()


def valid(body: Any, schema: str) -> Any:
    OAS30Validator({"$ref": f"#/components/schemas/{schema}", **document()}).validate(body)
    return body


async def get(client: httpx.AsyncClient, url: str, schema: str = "", status: int = 200) -> Any:
    response = await client.get(url)
    assert response.status_code == status, response.text
    return valid(response.json(), schema) if schema else response.json()


async def exclude(client: httpx.AsyncClient, ident: str, body: object) -> httpx.Response:
    return await client.put(f"/api/v1/outages/{ident}/exclusion", content=orjson.dumps(body))


async def test_hand_computed_uptime_through_the_api_and_analyze(app: Starlette, db_url: str,
                                                               tmp_path: Path) -> None:
    async with client_for(app, role="operator") as client:
        listed = await get(client, f"/api/v1/reports/outages?{YEAR_Q}", "OutageList")
        assert EXCLUDED in {o["id"] for o in listed["outages"]}
        response = await exclude(client, EXCLUDED, {"reason": 3, "notes": "firmware update"})
        assert response.status_code == 200, response.text
        assert valid(response.json(), "Outage")["excluded_reason"] == 3
        body = await get(client, f"/api/v1/reports/uptime?{YEAR_Q}", "UptimeReport")
    ports = {(p["charger_id"], p["connector_id"]): p for p in body["ports"]}
    cp1, cp2 = ports[("CP-1", 1)], ports[("CP-1", 2)]
    assert body["period_min"] == 525_600
    assert (cp1["outage_min"], cp1["excluded_min"]) == (CP1_OUTAGE_MIN, CP1_EXCLUDED_MIN)
    assert cp1["uptime"] == pytest.approx(CP1_UPTIME, abs=1e-4)
    assert cp2["uptime"] == pytest.approx(CP2_UPTIME, abs=1e-4)
    # the export carries the exclusion; analyze gives the same minutes
    out = tmp_path / "year.jsonl"
    code, _, err = cli("export", "--db", db_url, "--out", str(out))
    assert code == 0, err
    code, text, err = cli("analyze", str(out), "--json", "--since", "2026-01-01",
                          "--until", "2027-01-01")
    assert code == 0, err
    offline = {(p["charger_id"], p["connector_id"]): p
               for p in orjson.loads(text)["report"]["uptime"]}
    for port in (("CP-1", 1), ("CP-1", 2)):
        for key in ("outage_min", "excluded_min", "uptime"):
            assert offline[port][key] == ports[port][key], (port, key)


async def test_mttr_by_code_and_vendor(app: Starlette) -> None:
    async with client_for(app, role="viewer") as client:
        body = await get(client, f"/api/v1/reports/mttr?{YEAR_Q}", "MttrReport")
        by_vendor = await get(client, f"/api/v1/reports/mttr?group_by=vendor&{YEAR_Q}")
        bad = await get(client, "/api/v1/reports/mttr?group_by=colour", status=400)
    rows = {r["group"]: r for r in body["rows"]}
    assert rows["ocpp1.6:GroundFailure"]["mean_min"] == 270
    assert rows["chargex-mrec:CX001"]["mean_min"] == 80
    assert [r["group"] for r in by_vendor["rows"]] == ["Acme"]
    assert "group_by" in bad["error"]


async def test_ev_chart_csv_for_a_quarter(app: Starlette) -> None:
    async with client_for(app, role="operator") as client:
        assert (await exclude(client, EXCLUDED, {"reason": 3})).status_code == 200
        response = await client.get("/api/v1/reports/ev-chart?quarter=2026Q2")
        bad = await client.get("/api/v1/reports/ev-chart?quarter=2026-06")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    module3, module4 = response.text.split("\n\n")
    june = [r for r in csv.DictReader(io.StringIO(module3))
            if r["port_id"] == "CP-1-1" and r["uptime_reporting_end"] == "2026-06-30"]
    assert june[0]["total_outage"] == "1710" and june[0]["total_outage_excl"] == "1440"
    (row4,) = csv.DictReader(io.StringIO(module4))
    assert (row4["outage_duration"], row4["excluded_outage_reason"]) == ("1440", "3")
    assert bad.status_code == 400 and "2026Q3" in bad.json()["error"]


async def test_exclusions_need_an_operator_a_known_outage_and_a_reason(app: Starlette) -> None:
    async with client_for(app, role="viewer") as viewer:
        assert (await exclude(viewer, EXCLUDED, {"reason": 3})).status_code == 403
    async with client_for(app, role=None) as nobody:
        assert (await nobody.get(f"/api/v1/reports/uptime?{YEAR_Q}")).status_code == 401
    async with client_for(app, role="operator") as client:
        missing = await exclude(client, "0123456789abcdef", {"reason": 1})
        assert missing.status_code == 404 and "reports/outages" in missing.json()["error"]
        for body in ({"reason": 7}, {"reason": "3"}, {}, [1]):
            answer = await exclude(client, EXCLUDED, body)
            assert answer.status_code == 400 and "reason" in answer.json()["error"], body
        assert (await exclude(client, EXCLUDED, {"reason": 4})).status_code == 200
        assert (await exclude(client, EXCLUDED, {"reason": None})).status_code == 200
        body = await get(client, f"/api/v1/reports/uptime?{YEAR_Q}")
    async with client_for(app, role="admin") as admin:
        audit = await get(admin, "/api/v1/audit")
    cp1 = next(p for p in body["ports"] if p["connector_id"] == 1)
    assert cp1["excluded_min"] == 0  # cleared again: the outage counts
    assert any(e["action"] == "outage.exclusion" for e in audit["audit"])


async def test_repairs_by_self_healing_count_as_remote(app: Starlette, db_url: str) -> None:
    from sqlalchemy import insert, select

    from evfault.store import schema
    from evfault.store.engines import writer_engine
    from evfault.store.urls import normalise_url

    engine = writer_engine(normalise_url(db_url))
    try:
        with engine.begin() as connection:
            incidents = schema.incidents
            ident = connection.execute(select(incidents.c.id).where(
                incidents.c.code == "GroundFailure")).scalar_one()
            connection.execute(insert(schema.incident_actions).values(
                incident_id=ident, charger_id="CP-1", connector_id=1, rule="reset-on-fault",
                action="soft_reset", step=0, at=datetime(2026, 3, 1, 10, 5, tzinfo=UTC),
                status="accepted", cleared=True))
    finally:
        engine.dispose()
    async with client_for(app, role="viewer") as client:
        body = await get(client, f"/api/v1/reports/mttr?{YEAR_Q}", "MttrReport")
    rows = {r["group"]: r for r in body["rows"]}
    assert (rows["ocpp1.6:GroundFailure"]["remote"], rows["ocpp1.6:GroundFailure"]["self_cleared"]
            ) == (1, 0)
    assert rows["chargex-mrec:CX001"]["self_cleared"] == 1


async def test_uptime_per_month_over_the_previous_twelve_months(app: Starlette) -> None:
    async with client_for(app, role="viewer") as client:
        body = await get(client, f"/api/v1/reports/uptime?{YEAR_Q}&monthly=true",
                         "UptimeReport")
    months = {(m["month"], m["connector_id"]): m for m in body["months"]
              if m["charger_id"] == "CP-1"}
    assert len(months) == 24  # twelve months × two ports
    assert months[("2026-03", 1)]["outage_min"] == 270  # March's fault, the year so far
    assert months[("2026-12", 1)]["outage_min"] == CP1_OUTAGE_MIN
    assert all(m["period_min"] == 525_600 for m in months.values())
