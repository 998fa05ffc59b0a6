"""Routes of the public charger page: /c/{id}, its JSON twin and its live stream.

Public by design (web/auth.py lets every /c/ path through): a driver has no account.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.store import registry
from evfault.web import driver, i18n
from evfault.web.driver_live import PublicStreamResponse, PublicStreams, busy_response
from evfault.web.http import OrjsonResponse
from evfault.web.pages import error_page, render_driver, services_of
from evfault.web.shapes import Json


def charger_id_of(request: Request) -> str:
    charger_id: str = request.path_params["charger_id"]
    return charger_id


async def view_of(request: Request, lang: str) -> Json | None:
    words = i18n.strings_of(request)[lang]
    services, charger_id = services_of(request), charger_id_of(request)
    view = await driver.charger_view(services, charger_id, lang, words)
    if view is None and await is_registered(request, charger_id):
        view = await driver.charger_view(services, charger_id, lang, words, registered=True)
    return view


async def is_registered(request: Request, charger_id: str) -> bool:
    """In the charger registry, though it never connected: its sticker may be up already."""
    trust = getattr(request.app.state, "trust", None)
    if trust is None:
        return False
    found = await trust.store.read(registry.chargers, None, charger_id)
    return bool(found)


def not_found(request: Request, lang: str) -> Response:
    """A charger nobody knows: say so in the driver's words, with the code search beside it."""
    words = i18n.strings_of(request)[lang]
    if i18n_wants_json(request):
        return OrjsonResponse({"error": words("driver.not_found")}, status_code=404)
    return error_page(request, 404, words("driver.not_found"))


def i18n_wants_json(request: Request) -> bool:
    return request.url.path.endswith((".json", "/events"))


async def page(request: Request) -> Response:
    return await page_for(request, i18n.page_language(request))


async def page_for(request: Request, lang: str, report: Json | None = None,
                   http_status: int = 200) -> Response:
    """The page, with the report form in `report`'s state (a fresh form when None)."""
    from evfault.web.driver_reports import form_context  # it imports this module

    view = await view_of(request, lang)
    if view is None:
        return not_found(request, lang)
    form = report or form_context(request, view["charger_id"])
    return render_driver(request, "driver_charger.html", lang, http_status=http_status,
                         view=view, report=form, nav="")


async def twin(request: Request) -> Response:
    """The page's data as JSON (what the page polls when it may not stream)."""
    lang = i18n.page_language(request)
    view = await view_of(request, lang)
    if view is None:
        return not_found(request, lang)
    response = OrjsonResponse(view)
    response.headers["cache-control"] = "no-store"
    return i18n.remember(request, response, lang)


def public_streams(request: Request) -> PublicStreams:
    state = request.app.state
    if not hasattr(state, "public_streams"):
        state.public_streams = PublicStreams()
    streams: PublicStreams = state.public_streams
    return streams


async def live(request: Request) -> Response:
    """The view again on every change of this charger, as Server-Sent Events."""
    lang = i18n.page_language(request)
    first = await view_of(request, lang)
    if first is None:
        return not_found(request, lang)
    services, charger_id = services_of(request), charger_id_of(request)
    streams = public_streams(request)
    settings = services.settings
    if not streams.try_open(charger_id, settings.public_streams,
                            settings.public_streams_per_charger):
        return busy_response()

    async def make_view() -> Json | None:
        return await view_of(request, lang)

    return PublicStreamResponse(
        services, request.app.state.event_streams, streams, charger_id, make_view, first)


def routes() -> list[BaseRoute]:
    # The suffixed routes come first: {charger_id:path} would swallow them otherwise.
    return [
        Route("/c/{charger_id:path}/status.json", twin, methods=["GET"]),
        Route("/c/{charger_id:path}/events", live, methods=["GET"]),
        Route("/c/{charger_id:path}", page, methods=["GET"]),
    ]
