"""The REST API under /api/v1: each endpoint serves a view from views.py as JSON."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.context import Services
from evfault.store.model import IncidentQuery
from evfault.web import codes, fanout, i18n, params, shapes, views
from evfault.web.auth import redact
from evfault.web.decoding import decode_body
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json

ACTIVE_LIMIT = (1000, 10_000)  # (default, maximum): the whole fleet's errors usually fit
HISTORY_LIMIT = (100, 1000)
CHARGERS_LIMIT = (1000, 10_000)
CODES_LIMIT = (500, 1000)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def next_link(url: URL, listing: Json) -> str | None:
    """The address of the following page, or None on the last one."""
    following = listing["offset"] + listing["limit"]
    if following >= listing["total"]:
        return None
    nxt = url.include_query_params(offset=following, limit=listing["limit"])
    return f"{nxt.path}?{nxt.query}"


def paged(request: Request, listing: Json) -> Response:
    listing["next"] = next_link(request.url, listing)
    return OrjsonResponse(listing)


async def healthz(request: Request) -> Response:
    services = services_of(request)
    now = services.clock()
    return OrjsonResponse(
        {
            "status": "ok",
            "time": shapes.iso(now),
            "uptime_s": round(max(0.0, (now - services.started_at).total_seconds()), 3),
        }
    )


def code_language(request: Request) -> str:
    """The language of a catalog answer: `lang=`, then Accept-Language, then English."""
    catalog = services_of(request).catalog
    accept = request.headers.get("accept-language")
    return params.lang(request.query_params, catalog.languages, accept)


async def list_codes(request: Request) -> Response:
    q = request.query_params
    page = params.page(q, *CODES_LIMIT)
    listing = codes.search(
        services_of(request).catalog,
        params.text(q, "q"),
        params.text(q, "scheme"),
        code_language(request),
        page,
    )
    return paged(request, listing)


async def get_code(request: Request) -> Response:
    catalog = services_of(request).catalog
    scheme, code = request.path_params["scheme"], request.path_params["code"]
    lang = code_language(request)
    words = i18n.strings_of(request)[lang]
    return OrjsonResponse(codes.detail(catalog, scheme, code, lang, words))


async def decode(request: Request) -> Response:
    return OrjsonResponse(await decode_body(request))


async def list_chargers(request: Request) -> Response:
    page = params.page(request.query_params, *CHARGERS_LIMIT)
    return paged(request, await views.chargers(services_of(request), page))


async def get_charger(request: Request) -> Response:
    charger_id = request.path_params["charger_id"]
    view = await views.charger_detail(services_of(request), charger_id)
    return OrjsonResponse(redact(request, view))


async def active_errors(request: Request) -> Response:
    q = request.query_params
    flt = params.error_filter(q)
    listing = await views.active_errors(services_of(request), flt, params.page(q, *ACTIVE_LIMIT))
    return paged(request, listing)


def incident_query(q: Mapping[str, str]) -> IncidentQuery:
    """The /errors filters; a code written `scheme:code` selects that scheme too."""
    page = params.page(q, *HISTORY_LIMIT)
    code, scheme = params.text(q, "code"), params.text(q, "scheme")
    if code and ":" in code and not code.startswith("http"):
        scheme, _, code = code.partition(":")
    since, until = params.timestamp(q, "since"), params.timestamp(q, "until")
    if since and until and until <= since:
        raise ApiError(400, "until must be later than since.")
    return IncidentQuery(
        charger_id=params.text(q, "charger_id"),
        code=code,
        scheme=scheme,
        severity=params.severity(q),
        since=since,
        until=until,
        state=params.state(q),
        limit=page.limit,
        offset=page.offset,
    )


async def error_history(request: Request) -> Response:
    query = incident_query(request.query_params)
    return paged(request, await views.error_history(services_of(request), query))


async def dashboard(request: Request) -> Response:
    q = request.query_params
    view = await views.dashboard(services_of(request), params.error_filter(q), params.lang(q),
                                 params.points(q))
    return OrjsonResponse(view)


def routes() -> list[BaseRoute]:
    p = API_PREFIX
    return [
        Route(f"{p}/codes", list_codes, methods=["GET"]),
        Route(f"{p}/codes/{{scheme}}/{{code:path}}", get_code, methods=["GET"]),
        Route(f"{p}/decode", decode, methods=["POST"]),
        Route(f"{p}/chargers", list_chargers, methods=["GET"]),
        Route(f"{p}/chargers/{{charger_id:path}}", get_charger, methods=["GET"]),
        Route(f"{p}/errors/active", active_errors, methods=["GET"]),
        Route(f"{p}/errors", error_history, methods=["GET"]),
        Route(f"{p}/events", fanout.events, methods=["GET"]),
        Route(f"{p}/dashboard", dashboard, methods=["GET"]),
    ]
