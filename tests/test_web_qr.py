"""QR codes of the charger pages and the sticker sheet: each code, read back by a QR reader
(OpenCV's), opens exactly that charger's /c/{id} under the public address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import cv2
import httpx
import numpy as np
import pytest

from evfault.web.app import create_app
from evfault.web.qr import page_url, render_code
from test_web_support import (
    EVIL_ID,
    client_for,
    evil_fleet,
    services_for,
    standard_fleet,
    start_store,
)

PUBLIC = "https://charge.example.org"


def read_qr_png(png: bytes) -> str:
    """What a QR reader finds in the picture."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert points is not None, "no QR code found in the picture"
    return str(text)


def read_qr_svg(svg: bytes) -> str:
    """Rasterise segno's SVG (one path of unit strokes) and read it."""
    match = re.search(rb'd="([^"]+)"', svg)
    assert match
    scale = float(re.search(rb"scale\(([\d.]+)\)", svg).group(1)) if b"scale(" in svg else 1.0
    sized = re.search(rb'width="([\d.]+)"', svg) or re.search(rb'viewBox="0 0 ([\d.]+)', svg)
    assert sized
    size = int(float(sized.group(1)))
    image = np.full((size, size), 255, np.uint8)
    x = y = 0.0
    for command, a, b in re.findall(rb"([Mmhv])(-?[\d.]+)(?:\s+(-?[\d.]+))?", match.group(1)):
        if command == b"M":
            x, y = float(a), float(b)
        elif command == b"m":
            x, y = x + float(a), y + float(b)
        elif command == b"h":
            end = x + float(a)
            top = int((y - 0.5) * scale)
            image[top: top + int(scale), int(x * scale): int(end * scale)] = 0
            x = end
    ok, png = cv2.imencode(".png", image)
    assert ok
    return read_qr_png(png.tobytes())


@pytest.fixture
async def app_store(sqlite_url: str) -> AsyncIterator[tuple[object, object]]:
    store = await start_store(sqlite_url, standard_fleet(), evil_fleet())
    services = services_for(store)
    services.settings = services.settings.with_overrides(public_url=PUBLIC + "/")
    yield create_app(services), store
    await store.close()


def test_every_code_is_a_full_qr_code_a_phone_reads() -> None:
    for charger_id in ("A", "CP-1", "DE*ABC*E123*1", "Ladepunkt Süd/2"):
        url = page_url(PUBLIC, charger_id)
        assert read_qr_png(render_code(url, "png")) == url
        assert read_qr_svg(render_code(url, "svg")) == url


async def test_the_api_gives_each_chargers_code_to_operators(app_store: tuple) -> None:
    app, _ = app_store
    async with client_for(app) as client:
        png = await client.get("/api/v1/chargers/CP-1/qr.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert read_qr_png(png.content) == f"{PUBLIC}/c/CP-1"
        svg = await client.get("/api/v1/chargers/CP-2/qr.svg")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert read_qr_svg(svg.content) == f"{PUBLIC}/c/CP-2"
        evil = await client.get(f"/api/v1/chargers/{quote(EVIL_ID, safe='')}/qr.png")
        assert read_qr_png(evil.content) == f"{PUBLIC}/c/{quote(EVIL_ID, safe='')}"
        missing = await client.get("/api/v1/chargers/NOPE/qr.svg")
        assert missing.status_code == 404 and "NOPE" in missing.json()["error"]
    async with client_for(app, role=None) as anonymous:
        assert (await anonymous.get("/api/v1/chargers/CP-1/qr.svg")).status_code == 401
        public = await anonymous.get("/c/CP-1/qr.png")  # what the driver page shows
        assert read_qr_png(public.content) == f"{PUBLIC}/c/CP-1"


async def test_without_a_public_url_the_code_names_the_address_asked(sqlite_url: str) -> None:
    store = await start_store(sqlite_url, standard_fleet())
    async with client_for(create_app(services_for(store))) as client:
        png = await client.get("/api/v1/chargers/CP-3/qr.png")
        assert read_qr_png(png.content) == "http://testserver/c/CP-3"
    await store.close()


async def test_the_sticker_sheet_has_one_readable_sticker_per_charger(app_store: tuple) -> None:
    app, _ = app_store
    async with client_for(app, role="viewer") as client:
        response = await client.get("/stickers?lang=de")
        assert response.status_code == 200
        html = response.text
        ids = re.findall(r'<li class="sticker" data-charger="([^"]+)"', html)
        assert {"CP-1", "CP-2", "CP-3", "CP-4"} <= set(ids)
        assert "Scannen für Zustand und Hilfe" in html
        svgs = re.findall(r"<svg.*?</svg>", html, re.S)
        assert len(svgs) == len(ids)
        first = svgs[ids.index("CP-1")].encode()
        assert read_qr_svg(first) == f"{PUBLIC}/c/CP-1"
        assert "<b>evil</b>" not in html
        missing = await client.get("/stickers?site=nowhere")
        assert missing.status_code == 404
    async with client_for(app, role=None) as anonymous:
        login = await anonymous.get("/stickers", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"].startswith("/login")


async def test_the_driver_page_offers_its_code(app_store: tuple) -> None:
    app, _ = app_store
    async with client_for(app, role=None) as client:
        html = (await client.get("/c/CP-1")).text
        assert 'src="/c/CP-1/qr.svg"' in html and 'href="/c/CP-1/qr.png"' in html
        assert isinstance(client, httpx.AsyncClient)
