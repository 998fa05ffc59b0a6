"""QR codes that open a charger's public page, and the printable sticker sheet of them.

`GET /api/v1/chargers/{id}/qr.svg|png` (operators), the same under `/c/{id}/` (public, what the
driver page offers), and `/stickers` (operators): one sticker per charger of a site or of all.
The code holds `{public_url}/c/{id}`, or the address the request came to when `public_url` is
unset. Always a full-size QR code: phones' cameras do not read the smaller Micro QR.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.web import i18n
from evfault.web.auth import require
from evfault.web.driver_pages import is_registered
from evfault.web.http import API_PREFIX, ApiError
from evfault.web.pages import error_page, render, services_of
from evfault.web.shapes import Json, segment

SVG_SCALE = 8
PNG_SCALE = 10
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
MEDIA = {"svg": "image/svg+xml", "png": "image/png"}


def page_url(base: str, charger_id: str) -> str:
    """The driver page of a charger under `base` (https://host, no trailing slash needed)."""
    return f"{base.rstrip('/')}/c/{segment(charger_id)}"


def base_url(request: Request) -> str:
    configured: str = services_of(request).settings.public_url
    return configured or str(request.base_url)


def make(url: str) -> segno.QRCode:
    # Level M survives a scratched or dirty sticker; micro=False: a real QR code always.
    return segno.make(url, error="m", micro=False)


def render_code(url: str, kind: str) -> bytes:
    """The QR code of `url` as an SVG or PNG file."""
    out = io.BytesIO()
    code = make(url)
    if kind == "png":
        code.save(out, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    else:
        code.save(out, kind="svg", scale=SVG_SCALE, border=QUIET_ZONE, xmldecl=False)
    return out.getvalue()


def inline_svg(url: str) -> Markup:
    """The code as SVG markup to put in a page (it holds no text of ours or a charger's)."""
    return Markup(make(url).svg_inline(scale=4, border=QUIET_ZONE, omitsize=True))


async def known_charger_ids(request: Request) -> list[str]:
    """Every charger that ever connected, and every one registered but not yet seen."""
    ids = {row.charger_id for row in await services_of(request).store.chargers()}
    trust = request.app.state.trust
    if trust is not None:
        ids |= {entry.charger_id for entry in await trust.admin.chargers()}
    return sorted(ids)


async def is_known(request: Request, charger_id: str) -> bool:
    if await services_of(request).store.charger(charger_id) is not None:
        return True
    return await is_registered(request, charger_id)


async def _code_response(request: Request) -> Response:
    charger_id, kind = request.path_params["charger_id"], request.path_params["kind"]
    if kind not in MEDIA:
        raise ApiError(404, "QR codes come as qr.svg or qr.png.")
    if not await is_known(request, charger_id):
        raise ApiError(404, f"No charger with id {charger_id!r} is known to evfault.")
    body = render_code(page_url(base_url(request), charger_id), kind)
    filename = f"evfault-{segment(charger_id)}.{kind}"
    return Response(body, media_type=MEDIA[kind], headers={
        "content-disposition": f"inline; filename=\"{filename}\"",
        "cache-control": "private, max-age=300",
    })


async def api_code(request: Request) -> Response:
    require(request, Role.VIEWER)
    return await _code_response(request)


async def public_code(request: Request) -> Response:
    return await _code_response(request)


# ---- the sticker sheet -------------------------------------------------------------------------


def sites_of(request: Request) -> list[Any]:
    manager = getattr(request.app.state, "sites", None)
    return [] if manager is None else list(manager.sites)


async def sheet_view(request: Request, site_id: str | None, lang: str) -> Json:
    sites = sites_of(request)
    if site_id:
        site = next((s for s in sites if s.id == site_id), None)
        if site is None:
            raise ApiError(404, f"There is no site {site_id!r}.")
        ids = [c.id for c in site.chargers]
    else:
        ids = await known_charger_ids(request)
    base = base_url(request)
    return {
        "site": site_id,
        "lang": lang,
        "sites": [{"id": s.id, "name": s.title} for s in sites],
        "stickers": [
            {"charger_id": cid, "url": page_url(base, cid), "svg": inline_svg(page_url(base, cid))}
            for cid in ids
        ],
    }


async def stickers(request: Request) -> Response:
    """A sheet to print: one QR sticker per charger, its id and a line in the drivers' language."""
    require(request, Role.VIEWER)
    lang = i18n.page_language(request)
    try:
        view = await sheet_view(request, request.query_params.get("site") or None, lang)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "stickers.html", lang=lang, view=view, nav="stickers",
                  languages=i18n.picker_links(request, lang))


def routes() -> list[BaseRoute]:
    # Before the API's /chargers/{charger_id:path}, which would take "X/qr.svg" for an id.
    return [
        Route(f"{API_PREFIX}/chargers/{{charger_id:path}}/qr.{{kind}}", api_code, methods=["GET"]),
        Route("/c/{charger_id:path}/qr.{kind}", public_code, methods=["GET"]),
        Route("/stickers", stickers, methods=["GET"]),
    ]
