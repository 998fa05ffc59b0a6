"""The REST API in process (httpx over ASGI) against a real SqlStore on SQLite."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from starlette.applications import Starlette
from starlette.routing import Route

from evfault.bus import Resync
from evfault.context import Services
from evfault.store.model import WriteBatch
from evfault.tracking.model import (
    ChangeKind,
    ConnectivityChange,
    IncidentChange,
    StatusChange,
)
from evfault.web.app import create_app
from evfault.web.openapi import document
from test_web_support import (
    EVIL_ID,
    NOW,
    StreamReader,
    charger_facts,
    client_for,
    evil_fleet,
    incident,
    services_for,
    standard_fleet,
    start_store,
    trusted,
)

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture
async def services(sqlite_url: str) -> AsyncIterator[Services]:
    store = await start_store(sqlite_url, standard_fleet())
    yield services_for(store)
    await store.close()


@pytest.fixture
async def app(services: Services) -> AsyncIterator[Starlette]:
    async with trusted(create_app(services)) as made:
        yield made


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


async def get_json(client: httpx.AsyncClient, url: str, status: int = 200) -> Any:
    response = await client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def assert_error(body: Any, *words: str) -> None:
    """An error answer: exactly one key, one sentence, naming what was wrong."""
    assert set(body) == {"error"}
    assert body["error"].endswith(".")
    assert "Traceback" not in body["error"]
    for word in words:
        assert word in body["error"]


# ---- health, routing errors, headers -------------------------------------------------------


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/healthz")
    assert body["status"] == "ok"
    assert body["time"] == "2024-05-01T12:00:00Z"


async def test_unknown_api_address_is_a_json_404(client: httpx.AsyncClient) -> None:
    assert_error(await get_json(client, "/api/v1/nothing-here", 404), "/docs")


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/chargers")
    assert response.status_code == 405
    assert_error(response.json(), "method")


async def test_security_headers_on_json_and_html(client: httpx.AsyncClient) -> None:
    for url in ("/api/v1/chargers", "/", "/help"):
        response = await client.get(url)
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_bug_is_one_sentence_not_a_traceback(services: Services,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken() -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services.store, "load_state", broken)
    async with client_for(create_app(services), raise_errors=False) as client:
        response = await client.get("/api/v1/chargers")
    assert response.status_code == 500
    assert_error(response.json(), "logged")
    assert "fire" not in response.text


async def test_extra_routes_come_first(services: Services) -> None:
    async def hello(request: Any) -> httpx.Response:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("extra")  # type: ignore[return-value]

    app = create_app(services, extra_routes=[Route("/extra", hello)])
    assert app.state.services is services
    async with client_for(app) as client:
        assert (await client.get("/extra")).text == "extra"


# ---- codes ---------------------------------------------------------------------------------


async def test_codes_search_finds_a_code_first(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/codes?q=F001")
    first = body["codes"][0]
    assert (first["scheme"], first["code"]) == ("evgo-mrec", "F001")
    assert first["driver_now"] and first["operator_steps"]
    assert first["help_url"] == "/help/evgo-mrec/F001"


async def test_codes_search_by_words(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/codes?q=ground+fault")
    assert body["total"] >= 1
    assert any("ground" in c["title"].lower() for c in body["codes"][:3])


async def test_codes_filtered_by_scheme(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/codes?scheme=chargex-mrec&limit=1000")
    assert body["total"] == len(body["codes"]) > 20
    assert {c["scheme"] for c in body["codes"]} == {"chargex-mrec"}


async def test_codes_unknown_scheme_is_400(client: httpx.AsyncClient) -> None:
    assert_error(await get_json(client, "/api/v1/codes?scheme=nope", 400), "scheme", "nope")


async def test_codes_are_paginated_with_a_next_link(client: httpx.AsyncClient) -> None:
    first = await get_json(client, "/api/v1/codes?limit=5")
    assert len(first["codes"]) == 5 and first["total"] > 5
    assert first["next"] is not None
    second = await get_json(client, first["next"])
    assert second["offset"] == 5
    assert {c["ref"] for c in first["codes"]}.isdisjoint(c["ref"] for c in second["codes"])
    last = await get_json(client, f"/api/v1/codes?limit=5&offset={first['total'] - 2}")
    assert len(last["codes"]) == 2 and last["next"] is None


async def test_code_detail_has_every_field_and_related_codes(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/codes/evgo-mrec/F001")
    for key in ("title", "summary", "severity", "driver_now", "driver_next", "operator_steps",
                "category", "classification", "source", "measurement", "safety"):
        assert body[key], key
    related = {r["ref"] for r in body["related"]}
    assert "chargex-mrec:CX023" in related  # its equivalent in the ChargeX set
    assert "ocpp1.6:OtherError" in related  # the errorCode it travels with


async def test_code_detail_ignores_case_and_falls_back_to_english(
    client: httpx.AsyncClient,
) -> None:
    body = await get_json(client, "/api/v1/codes/EVGO-MREC/f001?lang=sv")
    assert body["code"] == "F001"
    assert body["lang"] == "en"


async def test_unknown_code_is_a_json_404(client: httpx.AsyncClient) -> None:
    assert_error(await get_json(client, "/api/v1/codes/evgo-mrec/F999", 404), "F999")


# ---- decode --------------------------------------------------------------------------------


COMPOUND = SAMPLES.joinpath("evgo_mrec.jsonl").read_text().splitlines()[0]


async def test_decode_a_compound_frame(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/decode", content=COMPOUND,
                                 headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"faults", "cleared", "warnings"}
    codes = [f["code"] for f in body["faults"]]
    assert codes == ["F001", "F003"]
    readings = [f["reading"]["value"] for f in body["faults"]]
    assert readings == [1.11, 5.0]
    assert [f["connector_id"] for f in body["faults"]] == [1, 1]


async def test_decode_a_bare_payload(client: httpx.AsyncClient) -> None:
    payload = json.loads(COMPOUND)[3]
    response = await client.post("/api/v1/decode", json=payload)
    assert [f["code"] for f in response.json()["faults"]] == ["F001", "F003"]


async def test_decode_log_lines_as_text(client: httpx.AsyncClient) -> None:
    lines = SAMPLES.joinpath("evgo_mrec.jsonl").read_text().splitlines()[:3]
    text = "\n".join(f"2024-05-01 12:00:00 recv {line}" for line in lines)
    response = await client.post("/api/v1/decode", content=text,
                                 headers={"content-type": "text/plain"})
    body = response.json()
    assert len(body["messages"]) == 3
    assert [m["action"] for m in body["messages"]] == ["StatusNotification"] * 3
    assert [f["code"] for f in body["faults"]] == ["F001", "F003", "F000", "F001"]


async def test_decode_garbage_gives_warnings_not_an_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/decode", content="hello charger")
    assert response.status_code == 200
    body = response.json()
    assert body["faults"] == [] and body["warnings"]


async def test_decode_empty_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/decode", content=b"  ")
    assert response.status_code == 400
    assert_error(response.json(), "empty")


async def test_decode_huge_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/decode", content=b"[" + b" " * 300_000 + b"]")
    assert response.status_code == 413
    assert_error(response.json(), "KiB")


# ---- chargers ------------------------------------------------------------------------------


async def test_chargers_list_has_connectors_and_their_errors(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/chargers")
    assert [c["id"] for c in body["chargers"]] == ["CP-1", "CP-2", "CP-3", "CP-4"]
    cp1 = body["chargers"][0]
    assert (cp1["vendor"], cp1["model"], cp1["online"]) == ("ABB", "Terra 184", True)
    conn1 = cp1["connectors"][0]
    assert (conn1["connector_id"], conn1["status"]) == (1, "Finishing")
    assert sorted(e["code"] for e in conn1["active_errors"]) == ["F001", "F003"]
    assert cp1["connectors"][1]["active_errors"] == []
    cp3 = body["chargers"][2]
    assert cp3["online"] is False and cp3["offline_since"] is not None


async def test_chargers_pagination(client: httpx.AsyncClient) -> None:
    first = await get_json(client, "/api/v1/chargers?limit=3")
    assert [c["id"] for c in first["chargers"]] == ["CP-1", "CP-2", "CP-3"]
    assert first["total"] == 4
    second = await get_json(client, first["next"])
    assert [c["id"] for c in second["chargers"]] == ["CP-4"] and second["next"] is None


@pytest.mark.parametrize(("query", "word"), [
    ("limit=0", "limit"), ("limit=abc", "whole number"), ("offset=-1", "offset"),
    ("limit=99999999", "limit"),
])
async def test_bad_paging_values_are_400(client: httpx.AsyncClient, query: str,
                                         word: str) -> None:
    assert_error(await get_json(client, f"/api/v1/chargers?{query}", 400), word)


async def test_charger_detail_has_everything_the_page_needs(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/chargers/CP-1")
    assert body["id"] == "CP-1" and body["serial"] == "SN-CP-1"
    assert [e["code"] for e in body["active_errors"]] == ["F001", "F003"]
    assert [i["id"] for i in body["recent_incidents"]] == ["i-f003", "i-f001", "i-cleared"]
    assert [s["status"] for s in body["status_changes"]] == ["Finishing", "Charging"]
    assert [c["online"] for c in body["connectivity"]] == [True, False]
    assert [m["direction"] for m in body["messages"]] == ["out", "in"]  # newest first
    assert body["messages"][1]["raw"].startswith('[2,"a1","StatusNotification"')
    kinds = [t["kind"] for t in body["timeline"]]
    assert {"error-opened", "error-cleared", "status", "offline", "online"} <= set(kinds)
    offline = next(t for t in body["timeline"] if t["kind"] == "offline")
    assert offline["until"] is not None  # the period ended when it reconnected
    ats = [t["at"] for t in body["timeline"]]
    assert ats == sorted(ats, reverse=True)


async def test_unknown_charger_is_a_json_404(client: httpx.AsyncClient) -> None:
    assert_error(await get_json(client, "/api/v1/chargers/NOPE", 404), "NOPE")


async def test_any_charger_id_round_trips_through_the_url(sqlite_url: str) -> None:
    store = await start_store(sqlite_url, evil_fleet())
    try:
        async with client_for(create_app(services_for(store))) as client:
            listed = await get_json(client, "/api/v1/chargers")
            charger = listed["chargers"][0]
            assert charger["id"] == EVIL_ID
            assert charger["url"] == "/chargers/" + quote(EVIL_ID, safe="")
            body = await get_json(client, "/api/v1/chargers/" + quote(EVIL_ID, safe=""))
            assert body["id"] == EVIL_ID
    finally:
        await store.close()


# ---- errors --------------------------------------------------------------------------------


async def test_active_errors_most_severe_then_oldest_first(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/errors/active")
    assert [e["id"] for e in body["errors"]] == ["i-old-critical", "i-f001", "i-f003", "i-temp"]
    f001 = next(e for e in body["errors"] if e["code"] == "F001")
    assert f001["reading"] == {"value": 1.11, "unit": "VDC", "text": "1.11"}
    assert f001["cleared_at"] is None and f001["duration_s"] == 42 * 60
    assert f001["explanation"]["operator_steps"]
    assert body["total"] == 4


async def test_incident_has_every_documented_field(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/errors/active?code=HighTemperature")
    (temp,) = body["errors"]
    for key in ("id", "charger_id", "connector_id", "scheme", "code", "title", "severity",
                "info", "reading", "opened_at", "cleared_at", "cleared_by", "duration_s",
                "warning_only", "time_flagged", "status", "vendor_id", "error_code"):
        assert key in temp, key
    assert temp["warning_only"] is True and temp["status"] == "Charging"


@pytest.mark.parametrize(("query", "ids"), [
    ("charger_id=CP-2", {"i-temp", "i-old-critical"}),
    ("code=F003", {"i-f003"}),
    ("code=evgo-mrec:F001", {"i-f001"}),
    ("severity=warning", {"i-temp"}),
    ("charger_id=CP-1&severity=critical", {"i-f001", "i-f003"}),
])
async def test_active_errors_filters(client: httpx.AsyncClient, query: str,
                                     ids: set[str]) -> None:
    body = await get_json(client, f"/api/v1/errors/active?{query}")
    assert {e["id"] for e in body["errors"]} == ids


async def test_active_errors_pagination(client: httpx.AsyncClient) -> None:
    first = await get_json(client, "/api/v1/errors/active?limit=3")
    second = await get_json(client, first["next"])
    ids = [e["id"] for e in first["errors"] + second["errors"]]
    assert len(ids) == len(set(ids)) == 4


async def test_error_history_includes_cleared_ones(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/errors")
    assert body["total"] == 5
    cleared = next(e for e in body["errors"] if e["id"] == "i-cleared")
    assert cleared["cleared_at"] is not None and cleared["cleared_by"] == "NoError"
    assert cleared["duration_s"] == 20 * 60


@pytest.mark.parametrize(("query", "ids"), [
    ("state=cleared", {"i-cleared"}),
    ("state=active&charger_id=CP-1", {"i-f001", "i-f003"}),
    ("code=F000", {"i-cleared"}),
    ("code=evgo-mrec:F001", {"i-f001"}),
    ("severity=warning", {"i-temp"}),
    ("since=2024-05-01T11:00:00Z", {"i-f001", "i-f003"}),
    ("until=2024-05-01T02:00:00%2B00:00", {"i-cleared"}),  # until is exclusive
    ("until=2024-05-01T02:00:01%2B00:00", {"i-old-critical", "i-cleared"}),
    ("since=2024-05-01&until=2024-05-01T10:00:00", {"i-old-critical", "i-temp"}),
])
async def test_error_history_filters(client: httpx.AsyncClient, query: str,
                                     ids: set[str]) -> None:
    body = await get_json(client, f"/api/v1/errors?{query}")
    assert {e["id"] for e in body["errors"]} == ids
    assert body["total"] == len(ids)


async def test_error_history_pagination(client: httpx.AsyncClient) -> None:
    first = await get_json(client, "/api/v1/errors?limit=2")
    assert first["total"] == 5 and len(first["errors"]) == 2
    seen = [e["id"] for e in first["errors"]]
    link = first["next"]
    while link:
        page = await get_json(client, link)
        seen += [e["id"] for e in page["errors"]]
        link = page["next"]
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize(("query", "words"), [
    ("since=yesterday", ("since", "ISO 8601", "yesterday")),
    ("until=2024-13-01", ("until",)),
    ("since=2024-05-02&until=2024-05-01", ("until", "later")),
    ("state=open", ("state", "active")),
    ("severity=fatal", ("severity", "critical")),
])
async def test_error_history_bad_values_are_400(client: httpx.AsyncClient, query: str,
                                                words: tuple[str, ...]) -> None:
    assert_error(await get_json(client, f"/api/v1/errors?{query}", 400), *words)


# ---- the dashboard's JSON twin ------------------------------------------------------------


async def test_dashboard_json_summary_and_notifications(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/dashboard")
    assert body["summary"]["chargers"] == 4 and body["summary"]["offline"] == 1
    assert body["summary"]["active_errors"] == 4
    (notice,) = body["notifications"]
    assert notice["charger_id"] == "CP-3" and notice["code"] == "ChargerOffline"
    assert notice["operator_steps"] and notice["since"] == "2024-05-01T09:00:00Z"
    # chargers with the worst errors first, the offline one before the clean one
    assert [c["id"] for c in body["chargers"]] == ["CP-1", "CP-2", "CP-3", "CP-4"]


async def test_dashboard_json_filters(client: httpx.AsyncClient) -> None:
    body = await get_json(client, "/api/v1/dashboard?severity=warning")
    assert [e["id"] for e in body["errors"]] == ["i-temp"]
    body = await get_json(client, "/api/v1/dashboard?charger=CP-3")
    assert body["errors"] == [] and [c["id"] for c in body["chargers"]] == ["CP-3"]


async def test_a_large_fleet_comes_a_page_at_a_time_problems_first(sqlite_url: str) -> None:
    from evfault.web.views import BOARD_LIST_LIMIT, BOARD_ROWS

    big = WriteBatch()
    n = 2 * BOARD_ROWS + 37
    for i in range(n):
        charger_facts(big, f"BIG-{i:04d}", "ABB", "Terra", True, 1, {1: "Available"})
    errors = BOARD_LIST_LIMIT + 5
    big.incidents += [incident(f"big-{i}", f"BIG-{i:04d}", "F001", opened_min=5)
                      for i in range(n - errors, n)]
    store = await start_store(sqlite_url, big)
    try:
        async with trusted(create_app(services_for(store))) as app, client_for(app) as client:
            first = await get_json(client, "/api/v1/dashboard")
            assert len(first["chargers"]) == BOARD_ROWS and first["points"]["total"] == n
            assert first["points"]["previous"] is None
            assert first["points"]["next"] == f"?points={BOARD_ROWS}"
            assert all(c["error_count"] for c in first["chargers"])  # problems first
            assert first["summary"]["chargers"] == n
            assert len(first["errors"]) == BOARD_LIST_LIMIT
            assert first["errors_total"] == errors
            last = await get_json(client, f"/api/v1/dashboard{first['points']['next']}"
                                          f"&points={2 * BOARD_ROWS}")
            assert len(last["chargers"]) == 37 and last["points"]["next"] is None
            assert (last["points"]["first"], last["points"]["last"]) == (2 * BOARD_ROWS + 1, n)
            beyond = await get_json(client, "/api/v1/dashboard?points=99999")
            assert beyond["points"]["offset"] == 2 * BOARD_ROWS  # the last page, not nothing
            seen = {c["id"] for page in (0, BOARD_ROWS, 2 * BOARD_ROWS)
                    for c in (await get_json(client, f"/api/v1/dashboard?points={page}"))
                    ["chargers"]}
            assert len(seen) == n  # every charger on exactly one page
            narrowed = await get_json(client, "/api/v1/dashboard?charger=BIG-000&points=0")
            assert narrowed["points"]["total"] == 10 and narrowed["points"]["next"] is None
            page = await client.get("/?points=100")
            assert page.status_code == 200 and 'id="points-previous" href="?"' in page.text
            assert f"101–200 of {n}" in page.text
    finally:
        await store.close()


# ---- the live stream -------------------------------------------------------------------


async def test_event_stream_delivers_published_changes(app: Starlette,
                                                        services: Services) -> None:
    async with StreamReader(app, "/api/v1/events") as stream:
        name, data = await stream.event()
        assert name == "hello" and json.loads(data)["server_time"] == "2024-05-01T12:00:00Z"
        assert stream.start is not None
        assert dict(stream.start["headers"])[b"content-type"].startswith(b"text/event-stream")

        opened = incident("i-live", "CP-4", "F002", opened_min=0, reading_value=0.5,
                          reading_unit="VDC")
        services.bus.publish(IncidentChange(ChangeKind.OPENED, opened))
        name, data = await stream.event()
        assert name == "incident"
        change = json.loads(data)
        assert change["kind"] == "opened"
        assert change["incident"]["id"] == "i-live"
        assert change["incident"]["reading"] == {"value": 0.5, "unit": "VDC", "text": "0.5"}
        assert change["incident"]["explanation"]["operator_steps"]

        services.bus.publish(StatusChange("CP-4", 1, "Faulted", NOW, "Available"))
        services.bus.publish(ConnectivityChange("CP-4", False, NOW, "silent"))
        assert (await stream.event())[0] == "status"
        name, data = await stream.event()
        assert name == "connectivity" and json.loads(data)["online"] is False


async def test_event_stream_uses_the_api_incident_shape(app: Starlette, services: Services,
                                                        client: httpx.AsyncClient) -> None:
    api = (await get_json(client, "/api/v1/errors/active?code=F001"))["errors"][0]
    store_incident = (await services.store.active_incidents("CP-1"))
    f001 = next(i for i in store_incident if i.code == "F001")
    async with StreamReader(app, "/api/v1/events") as stream:
        await stream.event()
        services.bus.publish(IncidentChange(ChangeKind.CONTINUED, f001))
        _, data = await stream.event()
    assert json.loads(data)["incident"] == api


async def test_event_stream_tells_a_slow_client_to_resync(app: Starlette,
                                                          services: Services) -> None:
    async with StreamReader(app, "/api/v1/events") as stream:
        await stream.event()
        (sub,) = tuple(services.bus._subscribers)
        sub._offer(StatusChange("CP-1", 1, "Available", NOW))
        sub._queue.put_nowait(Resync())  # what the bus does when the queue overflows
        names = [(await stream.event())[0], (await stream.event())[0]]
    assert names == ["status", "resync"]


async def test_event_stream_releases_its_subscription(app: Starlette,
                                                      services: Services) -> None:
    async with StreamReader(app, "/api/v1/events") as stream:
        await stream.event()
        assert services.bus.subscriber_count == 1
    assert services.bus.subscriber_count == 0
    assert len(app.state.fanout.listeners) == 0


async def test_closing_streams_ends_them(app: Starlette, services: Services) -> None:
    from evfault.web.app import close_event_streams

    async with StreamReader(app, "/api/v1/events") as stream:
        await stream.event()
        close_event_streams(app)
        assert stream.task is not None
        await stream.task  # ends on its own, without a disconnect
    assert services.bus.subscriber_count == 0


# ---- OpenAPI and the docs page -----------------------------------------------------------


async def test_openapi_document_is_valid(client: httpx.AsyncClient) -> None:
    spec = await get_json(client, "/openapi.json")
    validate(spec)
    assert spec["openapi"].startswith("3.")


async def test_every_api_route_is_documented(app: Starlette) -> None:
    documented = set(document()["paths"])
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/") or path == "/healthz":
            normalised = path.replace("{charger_id:path}", "{id}").replace("{code:path}", "{code}")
            assert normalised in documented, path


@pytest.mark.parametrize(("url", "schema"), [
    ("/api/v1/chargers", "ChargerList"),
    ("/api/v1/chargers/CP-1", "ChargerDetail"),
    ("/api/v1/errors/active", "ErrorList"),
    ("/api/v1/errors?state=cleared", "ErrorList"),
    ("/api/v1/codes?q=F001", "CodeList"),
    ("/api/v1/codes/evgo-mrec/F001", "CodeEntry"),
    ("/api/v1/dashboard", "Dashboard"),
    ("/api/v1/errors?since=bad", "Error"),
    ("/healthz", "Health"),
])
async def test_answers_match_the_documented_schemas(client: httpx.AsyncClient, url: str,
                                                    schema: str) -> None:
    spec = document()
    body = (await client.get(url)).json()
    validator = OAS30Validator({"$ref": f"#/components/schemas/{schema}", **spec})
    validator.validate(body)


async def test_schemas_reject_a_wrong_shape() -> None:
    spec = document()
    validator = OAS30Validator({"$ref": "#/components/schemas/Incident", **spec})
    assert not validator.is_valid({"id": "x"})


async def test_docs_page_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    html = response.text
    import re

    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page links its assets"
    for source in sources:
        assert source.startswith("/") and not source.startswith("//"), source
        assert (await client.get(source)).status_code == 200, source
    assert "<script>" not in html  # nothing inline: the policy forbids it


async def test_decode_answer_matches_its_schema(client: httpx.AsyncClient) -> None:
    body = (await client.post("/api/v1/decode", content=COMPOUND)).json()
    OAS30Validator({"$ref": "#/components/schemas/DecodeResult", **document()}).validate(body)


async def test_platform_conditions_are_notifications_not_errors(sqlite_url: str) -> None:
    batch = standard_fleet()
    batch.incidents += [
        incident("i-meter", "CP-4", "MeterOffline", scheme="platform", severity="warning",
                 opened_min=30, connector=0),
        incident("i-off", "CP-3", "ChargerOffline", scheme="platform", opened_min=200,
                 connector=0),
    ]
    store = await start_store(sqlite_url, batch)
    try:
        async with client_for(create_app(services_for(store))) as client:
            body = await get_json(client, "/api/v1/dashboard")
    finally:
        await store.close()
    assert {e["scheme"] for e in body["errors"]} == {"evgo-mrec", "ocpp1.6"}
    assert body["summary"]["active_errors"] == 4
    notices = [(n["code"], n["charger_id"], n.get("incident_id")) for n in body["notifications"]]
    # the oldest first; the offline charger once, as the incident that reports it
    assert notices == [("ChargerOffline", "CP-3", "i-off"), ("MeterOffline", "CP-4", "i-meter")]
    assert body["notifications"][1]["operator_steps"]  # the catalog's text came along
