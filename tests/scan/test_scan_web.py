"""POST /api/v1/scan, the help pages' scan form, and search that understands screen text."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner

import evfault.cli
from evfault.web.app import create_app
from test_web_support import client_for, services_for, start_store

IMAGES = Path(__file__).resolve().parent / "images"
FEHLER_CX006 = IMAGES / "screen_001.jpg"  # "Fehler CX006" on a light blue LCD, in German
TWO_CODES = IMAGES / "screen_016.jpg"  # "Storing A005, CX017"

Client = Callable[..., Any]


@pytest.fixture
async def client_with(sqlite_url: str) -> AsyncIterator[Client]:
    """A client for an app with these settings changed (the store is shared)."""
    store = await start_store(sqlite_url)
    opened: list[Any] = []

    async def make(**changes: Any) -> httpx.AsyncClient:
        services = services_for(store)
        services.settings = replace(services.settings, **changes)
        context = client_for(create_app(services))
        opened.append(context)
        client: httpx.AsyncClient = await context.__aenter__()
        return client

    yield make
    for context in opened:
        await context.__aexit__(None, None, None)
    await store.close()


def photo(path: Path = FEHLER_CX006, **fields: str) -> dict[str, Any]:
    return {"files": {"image": (path.name, path.read_bytes(), "image/jpeg")}, "data": fields}


async def test_a_photo_is_read_and_explained(client_with: Client) -> None:
    client = await client_with()
    response = await client.post("/api/v1/scan", **photo())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "found"
    [code] = answer["codes"]
    assert code["ref"] == "chargex-mrec:CX006" and code["confidence"] > 0.8
    assert code["help_url"] == "/help/chargex-mrec/CX006"
    assert code["driver_now"], "the driver's first steps come with the code"
    assert answer["lang"] == "de" and answer["screen_lang"] == "de"
    assert answer["stored"] is False
    asked = (await client.post("/api/v1/scan", **photo(lang="en"))).json()
    assert asked["lang"] == "en" and asked["screen_lang"] == "de"


async def test_several_codes_are_offered_most_likely_first(client_with: Client) -> None:
    client = await client_with()
    answer = (await client.post("/api/v1/scan", **photo(TWO_CODES))).json()
    assert answer["status"] == "choose"
    assert {c["ref"] for c in answer["codes"]} == {"evgo-mrec:A005", "chargex-mrec:CX017"}
    scores = [c["confidence"] for c in answer["codes"]]
    assert scores == sorted(scores, reverse=True)


async def test_a_photo_without_a_code_gets_tips(client_with: Client) -> None:
    client = await client_with()
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(blank, format="PNG")
    files = {"image": ("wall.png", blank.getvalue(), "image/png")}
    answer = (await client.post("/api/v1/scan", files=files)).json()
    assert answer["status"] == "unreadable" and answer["codes"] == []
    assert len(answer["tips"]) >= 3


async def test_bad_uploads_get_one_sentence(client_with: Client) -> None:
    client = await client_with(scan_max_upload=200_000, scan_max_pixels=2_000_000)
    as_json = await client.post("/api/v1/scan", json={"image": "x"})
    assert as_json.status_code == 415
    no_image = await client.post("/api/v1/scan", files={"photo": ("a.jpg", b"x", "image/jpeg")})
    assert no_image.status_code == 400 and "'image'" in no_image.json()["error"]
    text = await client.post("/api/v1/scan", files={"image": ("a.jpg", b"hello", "image/jpeg")})
    assert text.status_code == 400 and "not a photo" in text.json()["error"]
    big = await client.post(
        "/api/v1/scan", files={"image": ("big.jpg", b"\xff" * 400_000, "image/jpeg")}
    )
    assert big.status_code == 413
    # A decompression bomb: a few kilobytes that would decode to 36 million pixels.
    bomb = io.BytesIO()
    Image.new("L", (6000, 6000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 200_000
    files = {"image": ("bomb.png", bomb.getvalue(), "image/png")}
    refused = await client.post("/api/v1/scan", files=files)
    assert refused.status_code == 400 and "pixels" in refused.json()["error"]


async def test_too_many_photos_at_once_are_asked_to_wait(client_with: Client) -> None:
    client = await client_with()
    app = client._transport.app  # type: ignore[attr-defined]
    app.state.scan_limiter = limiter = anyio.CapacityLimiter(1)
    async with limiter:
        busy = await client.post("/api/v1/scan", **photo())
    assert busy.status_code == 503 and "try again" in busy.json()["error"]


def _with_location(path: Path) -> bytes:
    image = Image.open(path)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 18.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_a_photo_is_kept_only_when_the_driver_agrees(
    client_with: Client, tmp_path: Path
) -> None:
    folder = tmp_path / "shared"
    client = await client_with(scan_store_dir=str(folder))
    data = _with_location(FEHLER_CX006)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the upload has a position"
    files = {"image": ("p.jpg", data, "image/jpeg")}
    kept_not = (await client.post("/api/v1/scan", files=files)).json()
    assert kept_not["stored"] is False and not folder.exists()
    kept = (await client.post("/api/v1/scan", files=files, data={"share": "yes"})).json()
    assert kept["stored"] is True
    [stored] = list(folder.iterdir())
    image = Image.open(stored)
    assert not image.getexif() and "exif" not in image.info
    assert image.size == Image.open(FEHLER_CX006).size
    nowhere = await client_with()  # agreeing does nothing where no folder is set
    answer = (await nowhere.post("/api/v1/scan", files=files, data={"share": "yes"})).json()
    assert answer["stored"] is False


async def test_the_scan_form_without_javascript(client_with: Client) -> None:
    client = await client_with()
    one = await client.post("/help/scan", **photo())
    assert one.status_code == 303
    assert one.headers["location"] == "/help/chargex-mrec/CX006?lang=de"
    two = await client.post("/help/scan", **photo(TWO_CODES))
    assert two.status_code == 200
    assert "/help/evgo-mrec/A005" in two.text and "/help/chargex-mrec/CX017" in two.text
    bad = await client.post("/help/scan", files={"image": ("a.jpg", b"hi", "image/jpeg")})
    assert bad.status_code == 400 and "not a photo" in bad.text


async def test_help_pages_carry_the_scan_button(client_with: Client) -> None:
    client = await client_with()
    for url in ("/help", "/help/evgo-mrec/F001"):
        html = (await client.get(url)).text
        assert 'capture="environment"' in html and 'accept="image/*"' in html
        assert 'action="/help/scan"' in html and "/static/scan.js" in html
        assert "<script>" not in html  # the policy forbids inline scripts
        assert ">Scan the screen</label>" in html
    german = (await client.get("/help", params={"lang": "de"})).text
    assert ">Bildschirm scannen</label>" in german
    assert 'name="lang" value="de"' in german.split('id="scan-form"')[1]


async def test_the_answer_speaks_the_screens_language(client_with: Client) -> None:
    client = await client_with()
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(blank, format="PNG")
    files = {"image": ("wall.png", blank.getvalue(), "image/png")}
    answer = (await client.post("/api/v1/scan", files=files, data={"lang": "pl"})).json()
    assert answer["lang"] == "pl" and "Trzymaj telefon" in answer["tips"][0]
    page = await client.post("/help/scan", files=files, data={"lang": "fr"})
    assert page.status_code == 200 and "Nous n'avons pas pu lire" in page.text.replace("&#39;", "'")
    assert '<html lang="fr">' in page.text


# ---- screen text in search and explain -----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        ("Error CX011", "/help/chargex-mrec/CX011"),
        ("Code CX011", "/help/chargex-mrec/CX011"),
        ("cx-011", "/help/chargex-mrec/CX011"),
        ("Fehler F-001", "/help/evgo-mrec/F001"),
        ("ground failure", "/help/ocpp1.6/GroundFailure"),
        ("Erdschluss", "/help/ocpp1.6/GroundFailure"),
    ],
)
async def test_one_code_on_the_screen_opens_its_page(
    client_with: Client, typed: str, target: str
) -> None:
    client = await client_with()
    response = await client.get("/help", params={"q": typed})
    assert response.status_code == 303 and response.headers["location"] == target


async def test_several_codes_give_a_short_list(client_with: Client) -> None:
    client = await client_with()
    page = await client.get("/help", params={"q": "F001,F003"})
    assert page.status_code == 200
    assert page.text.index("/help/evgo-mrec/F001") < page.text.index("/help/evgo-mrec/F003")
    api = (await client.get("/api/v1/codes", params={"q": "Erreur: A003, A004"})).json()
    assert [c["ref"] for c in api["codes"]] == ["evgo-mrec:A003", "evgo-mrec:A004"]


async def test_a_screen_text_naming_no_code_is_searched_as_words(client_with: Client) -> None:
    client = await client_with()
    page = await client.get("/help", params={"q": "Error Z999"})
    assert page.status_code == 200  # no code named: the word search and its advice, no jump
    assert "Z999" in page.text


def test_explain_understands_screen_text() -> None:
    evfault.cli._register()
    runner = CliRunner()
    one = runner.invoke(evfault.cli.app, ["explain", "Error CX011", "--json"])
    assert one.exit_code == 0, one.output
    assert '"ref": "chargex-mrec:CX011"' in one.stdout
    words = runner.invoke(evfault.cli.app, ["explain", "défaut de terre", "--json"])
    assert '"ref": "ocpp1.6:GroundFailure"' in words.stdout
    several = runner.invoke(evfault.cli.app, ["explain", "F001,F003"])
    assert several.exit_code == 2
    assert "evgo-mrec:F001" in several.stdout and "evgo-mrec:F003" in several.stdout
