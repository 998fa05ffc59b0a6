"""The HTML faces: operator dashboard, charger page, driver help pages.

Each page renders the same view dict its JSON twin serves; the templates escape every value.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.context import Services
from evfault.web import codes, params, views
from evfault.web.http import ApiError
from evfault.web.templates import templates

_HEADINGS = {400: "That request did not make sense", 404: "Not found", 405: "Not allowed"}


def render(request: Request, name: str, *, http_status: int = 200, **context: Any) -> Response:
    context.setdefault("nav", "")
    context.setdefault("page_lang", "en")
    return templates.TemplateResponse(request, name, context, status_code=http_status)


def error_page(request: Request, status_code: int, message: str) -> Response:
    heading = _HEADINGS.get(status_code, "Something went wrong")
    return render(
        request, "error.html", http_status=status_code, status_code=status_code,
        heading=heading, message=message,
    )


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def dashboard(request: Request) -> Response:
    q = request.query_params
    try:
        flt = params.error_filter(q)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    view = await views.dashboard(services_of(request), flt, params.lang(q))
    return render(request, "dashboard.html", view=view, nav="dashboard")


async def charger(request: Request) -> Response:
    charger_id = request.path_params["charger_id"]
    try:
        view = await views.charger_detail(services_of(request), charger_id)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "charger.html", view=view, nav="dashboard")


async def help_index(request: Request) -> Response:
    q = request.query_params
    catalog, lang = services_of(request).catalog, params.lang(q)
    query = params.text(q, "q")
    target = codes.single_match(catalog, query) if query else None
    if target is not None:
        # A driver who typed exactly one known code wants its page, not a list of one.
        suffix = f"?lang={lang}" if params.text(q, "lang") else ""
        return RedirectResponse(target + suffix, status_code=303)
    view = codes.help_index(catalog, query, lang)
    return render(request, "help_index.html", view=view, nav="help", page_lang=view["lang"])


async def help_code(request: Request) -> Response:
    catalog, lang = services_of(request).catalog, params.lang(request.query_params)
    scheme, code = request.path_params["scheme"], request.path_params["code"]
    try:
        view = codes.detail(catalog, scheme, code, lang)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "help_code.html", view=view, nav="help", page_lang=view["lang"])


def routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard, methods=["GET"]),
        Route("/chargers/{charger_id:path}", charger, methods=["GET"]),
        Route("/help", help_index, methods=["GET"]),
        Route("/help/{scheme}/{code:path}", help_code, methods=["GET"]),
    ]
