"""The public charger page /c/{id}: what a driver sees, in their language, and nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from evfault.tracking.model import ChangeKind, IncidentChange
from evfault.web import driver
from evfault.web.app import create_app
from evfault.web.driver_live import PublicStreams, concerns
from evfault.web.i18n import default_strings
from test_web_pages import text_of
from test_web_support import (
    EVIL,
    EVIL_ID,
    client_for,
    evil_fleet,
    incident,
    services_for,
    standard_fleet,
    start_store,
)

STRINGS = default_strings()


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = await start_store(sqlite_url, standard_fleet(), evil_fleet())
    async with client_for(create_app(services_for(store))) as client:
        yield client
    await store.close()


async def test_a_charger_with_errors_says_it_cannot_charge_and_what_to_do(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/c/CP-1", headers={"accept-language": "en"})
    assert response.status_code == 200
    words = text_of(response.text)
    assert "Out of order" in words  # connector 1: F001 and F003
    assert "Ready" in words  # connector 2 is Available
    assert "Proximity" in words and "What to do right now" in words
    assert "1 of 2 connectors can charge now" in words
    view = (await client.get("/c/CP-1/status.json")).json()
    one, two = view["connectors"]
    assert (one["state"], one["can_charge"]) == ("faulted", False)
    assert [e["code"] for e in one["errors"]] == ["F001", "F003"]
    assert one["errors"][0]["driver_now"]
    assert (two["state"], two["can_charge"]) == ("ready", True)


async def test_the_page_shows_a_stranger_nothing_an_operator_keeps_to_themselves(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/c/CP-1")).text
    view = (await client.get("/c/CP-1/status.json")).text
    for secret in ("SN-CP-1", "1.2.3", "com.evgo.mrec", "1.11", "StatusNotification",
                   "vendorErrorCode", "OtherError"):
        assert secret not in html
        assert secret not in view


async def test_a_warning_the_charger_charges_through_does_not_stop_it(
    client: httpx.AsyncClient,
) -> None:
    view = (await client.get("/c/CP-2/status.json")).json()
    one, two = view["connectors"]
    assert one["state"] == "in_use"  # HighTemperature, warning only, while Charging
    assert [e["code"] for e in one["errors"]] == ["HighTemperature"]
    assert two["state"] == "faulted"  # GroundFailure


async def test_an_offline_charger_says_it_cannot_tell(client: httpx.AsyncClient) -> None:
    view = (await client.get("/c/CP-3/status.json?lang=de")).json()
    assert view["online"] is False
    assert view["headline"] == STRINGS["de"]("driver.headline.offline")
    assert {c["state"] for c in view["connectors"]} == {"offline"}


@pytest.mark.parametrize("lang", STRINGS.languages)
async def test_the_page_speaks_the_drivers_language(client: httpx.AsyncClient,
                                                     lang: str) -> None:
    words = STRINGS[lang]
    by_query = await client.get(f"/c/CP-1?lang={lang}")
    assert f'<html lang="{lang}"' in by_query.text
    assert words("driver.what_now") in text_of(by_query.text)
    assert words("driver.state.faulted") in text_of(by_query.text)
    assert words("safety.action") in text_of(by_query.text)
    client.cookies.clear()
    by_header = await client.get("/c/CP-1", headers={"accept-language": f"{lang};q=0.9"})
    assert f'<html lang="{lang}"' in by_header.text


async def test_the_language_picker_is_remembered(client: httpx.AsyncClient) -> None:
    await client.get("/c/CP-1?lang=pl")
    again = await client.get("/c/CP-1", headers={"accept-language": "fr"})
    assert '<html lang="pl"' in again.text


async def test_an_unknown_charger_is_a_friendly_404_in_the_drivers_language(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/c/NOPE-9", headers={"accept-language": "nl"})
    assert response.status_code == 404
    assert '<html lang="nl"' in response.text
    assert STRINGS["nl"]("driver.not_found") in text_of(response.text)
    assert "Traceback" not in response.text and "/api/" not in response.text
    twin = await client.get("/c/NOPE-9/status.json?lang=it")
    assert twin.status_code == 404
    assert twin.json() == {"error": STRINGS["it"]("driver.not_found")}


async def test_text_a_charger_sent_is_escaped(client: httpx.AsyncClient) -> None:
    from urllib.parse import quote

    response = await client.get(f"/c/{quote(EVIL_ID, safe='')}")
    assert response.status_code == 200
    assert EVIL not in response.text and EVIL_ID not in response.text
    assert "<script>alert" not in response.text
    view = (await client.get(f"/c/{quote(EVIL_ID, safe='')}/status.json")).json()
    assert view["charger_id"] == EVIL_ID
    # The unknown code keeps its raw spelling only as a code chip; its title is ours.
    unknown = [e for c in view["connectors"] for e in c["errors"] if not e["known"]]
    assert unknown and unknown[0]["title"] == STRINGS["en"]("driver.unknown_title")


async def test_the_page_needs_no_login(sqlite_url: str) -> None:
    store = await start_store(sqlite_url, standard_fleet())
    async with client_for(create_app(services_for(store)), role=None) as client:
        for path in ("/c/CP-1", "/c/CP-1/status.json", "/c/CP-1/qr.svg"):
            response = await client.get(path, follow_redirects=False)
            assert response.status_code == 200, path
    await store.close()


# ---- pure parts ------------------------------------------------------------------------------


def test_connector_state_rules() -> None:
    crit = incident("x", "A", "F001")
    warn_only = replace(incident("y", "A", "HighTemperature", severity="warning"),
                        warning_only=True)
    assert driver.connector_state("Available", True, []) == driver.READY
    assert driver.connector_state("Charging", True, [warn_only]) == driver.IN_USE
    assert driver.connector_state("Available", True, [crit]) == driver.FAULTED
    assert driver.connector_state("Faulted", True, []) == driver.FAULTED
    assert driver.connector_state("Available", False, []) == driver.OFFLINE
    assert driver.connector_state(None, True, []) == driver.UNKNOWN


def test_stream_limits_overall_and_per_charger() -> None:
    streams = PublicStreams()
    assert streams.try_open("A", most=3, most_per_charger=2)
    assert streams.try_open("A", most=3, most_per_charger=2)
    assert not streams.try_open("A", most=3, most_per_charger=2)
    assert streams.try_open("B", most=3, most_per_charger=2)
    assert not streams.try_open("C", most=3, most_per_charger=2)
    streams.release("A")
    assert streams.try_open("C", most=3, most_per_charger=2)
    assert streams.total == 3


def test_a_stream_wakes_only_for_its_own_charger() -> None:
    change = IncidentChange(ChangeKind.OPENED, incident("x", "A", "F001"))
    assert concerns(change, "A")
    assert not concerns(change, "B")


async def test_the_stream_is_refused_past_the_limit_and_the_page_can_poll(
    sqlite_url: str,
) -> None:
    store = await start_store(sqlite_url, standard_fleet())
    services = services_for(store)
    services.settings = services.settings.with_overrides(public_streams_per_charger=0)
    async with client_for(create_app(services)) as client:
        refused = await client.get("/c/CP-1/events")
        assert refused.status_code == 503
        assert "refresh" in refused.json()["error"]
        assert (await client.get("/c/CP-1/status.json")).status_code == 200
    await store.close()


async def test_a_registered_charger_that_never_connected_has_a_page(sqlite_url: str) -> None:
    """Its sticker may be up before it first connects: the page says we cannot reach it."""
    store = await start_store(sqlite_url, standard_fleet())
    app = create_app(services_for(store))
    async with client_for(app, role="admin") as admin:
        await app.state.trust.admin.add_charger("test", "NEW-1", generate=True)
        view = (await admin.get("/c/NEW-1/status.json?lang=fr")).json()
        assert view["online"] is False
        assert view["headline"] == STRINGS["fr"]("driver.headline.offline")
        assert [c["state"] for c in view["connectors"]] == ["offline"]
        assert (await admin.get("/c/NEVER-REGISTERED")).status_code == 404
    await store.close()
