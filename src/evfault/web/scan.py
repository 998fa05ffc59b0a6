"""POST /api/v1/scan and the help pages' "Scan the screen" form: a photo in, codes out.

Public, like the help pages: a driver at a broken charger has no account. The upload is held in
memory only (never spooled to disk), bounded in bytes and pixels, read off the event loop with a
small bound on photos in flight, and kept only when the driver ticks the box to share it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.context import Services
from evfault.web import i18n, params, shapes
from evfault.web.api import services_of
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json

log = logging.getLogger("evfault.web.scan")

FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the small fields around the photo
TIPS = ("straight", "glare", "still", "type")  # scan.tip_* in the pages' strings


def _limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "scan_limiter", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(max(1, services_of(request).settings.scan_queue))
        state.scan_limiter = limiter
    return limiter


class _InMemoryParser(MultiPartParser):
    """Starlette's parser, holding the photo in memory: an upload must not land on disk."""

    def __init__(self, request: Request, limit: int) -> None:
        super().__init__(request.headers, _capped(request, limit), max_files=1, max_fields=8)
        self.spool_max_size = limit


async def _capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise ApiError(413, _too_large(limit))
        yield chunk


def _too_large(limit: int) -> str:
    return f"The photo is larger than {limit // 1_000_000} MB; send a smaller one."


async def read_upload(request: Request) -> tuple[bytes, FormData]:
    """The photo (form field `image`) and the other fields; ApiError for anything else."""
    limit = services_of(request).settings.scan_max_upload + FORM_OVERHEAD
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "Send the photo as multipart/form-data in a field named 'image'.")
    if int(request.headers.get("content-length") or 0) > limit:
        raise ApiError(413, _too_large(limit))
    try:
        form = await _InMemoryParser(request, limit).parse()
    except MultiPartException as exc:
        raise ApiError(400, f"The upload could not be read: {exc.message}") from None
    image = form.get("image")
    if not isinstance(image, UploadFile):
        raise ApiError(400, "Send the photo in a form field named 'image'.")
    data = await image.read()
    await image.close()
    return data, form


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _scan(services: Services, data: bytes, lang: str | None, share: bool) -> tuple[Any, bool]:
    """In a worker thread: read the photo, and keep it if the driver agreed (and we may)."""
    from evfault.scan.image import Limits, open_photo, store_photo
    from evfault.scan.reader import scan_photo

    settings = services.settings
    limits = Limits(max_bytes=settings.scan_max_upload, max_pixels=settings.scan_max_pixels)
    result = scan_photo(services.catalog, data, limits=limits, lang=lang)
    stored = False
    if share and settings.scan_store_dir:
        name = store_photo(open_photo(data, limits), Path(settings.scan_store_dir))
        log.info("scan: photo shared by a driver kept as %s", name)
        stored = True
    return result, stored


async def run_scan(request: Request, data: bytes, form: FormData) -> Json:
    """The scan's answer as JSON, each code with its help page; ApiError for a bad photo."""
    from evfault.scan.image import PhotoError

    limiter = _limiter(request)
    if limiter.borrowed_tokens >= limiter.total_tokens:
        raise ApiError(503, "Several photos are being read right now; try again in a moment.")
    lang = params.lang({"lang": _field(form, "lang") or ""}) if _field(form, "lang") else None
    share = _field(form, "share") in ("yes", "on", "true", "1")
    try:
        result, stored = await anyio.to_thread.run_sync(
            _scan, services_of(request), data, lang, share, limiter=limiter
        )
    except PhotoError as exc:
        raise ApiError(400, str(exc)) from None
    view: Json = result.as_dict()
    for code in view["codes"]:
        code["help_url"] = shapes.help_url(code["scheme"], code["code"])
    if view["tips"]:
        words = i18n.strings_of(request)[view["lang"]]
        view["tips"] = [words(f"scan.tip_{tip}") for tip in TIPS]
    view["stored"] = stored
    return view


async def scan_api(request: Request) -> Response:
    data, form = await read_upload(request)
    return OrjsonResponse(await run_scan(request, data, form))


async def scan_page(request: Request) -> Response:
    """The form's answer without JavaScript: the code's page, or a page to pick or retry."""
    from evfault.web.pages import error_page, render_driver

    try:
        data, form = await read_upload(request)
        view = await run_scan(request, data, form)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    lang = i18n.strings_of(request)[view["lang"]].lang  # a language the pages speak
    if view["status"] == "found":
        target = view["codes"][0]["help_url"] + f"?lang={lang}"
        return RedirectResponse(target, status_code=303)
    return render_driver(request, "help_scan.html", lang, view=view, nav="help")


def routes() -> list[BaseRoute]:
    return [
        Route(f"{API_PREFIX}/scan", scan_api, methods=["POST"]),
        Route("/help/scan", scan_page, methods=["POST"]),
    ]
