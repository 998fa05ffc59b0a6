"""The HTML faces: operator dashboard, charger page, driver help pages.

Each page renders the same view dict its JSON twin serves; the templates escape every value.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.catalog.model import DEFAULT_LANG
from evfault.context import Services
from evfault.web import codes, i18n, params, views
from evfault.web.auth import redact
from evfault.web.http import ApiError
from evfault.web.templates import templates


def render(
    request: Request, name: str, *, http_status: int = 200, lang: str = DEFAULT_LANG,
    **context: Any,
) -> Response:
    """A page in `lang`: `t` gives the templates its words, `page_lang` its <html lang>."""
    context.setdefault("nav", "")
    context.setdefault("languages", [])
    context.update(page_lang=lang, t=i18n.strings_of(request)[lang])
    return templates.TemplateResponse(request, name, context, status_code=http_status)


def render_driver(
    request: Request, name: str, lang: str, *, http_status: int = 200, **context: Any
) -> Response:
    """A page a driver reads: in their language, with the language picker, which it remembers."""
    links = i18n.picker_links(request, lang)
    response = render(
        request, name, http_status=http_status, lang=lang, languages=links, **context
    )
    return i18n.remember(request, response, lang)


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    """An error for a person, in their language; `message` (a sentence from the code that
    failed) replaces the page's own explanation when given."""
    lang = i18n.page_language(request)
    t = i18n.strings_of(request)[lang]
    heading = t.get(f"error.heading_{status_code}", t("error.heading_other"))
    if message is None:
        message = t.get(f"error.message_{status_code}", t("error.message_other"))
    return render_driver(
        request, "error.html", lang, http_status=status_code, status_code=status_code,
        heading=heading, message=message,
    )


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def dashboard(request: Request) -> Response:
    q = request.query_params
    try:
        flt = params.error_filter(q)
        points = params.points(q)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    view = await views.dashboard(services_of(request), flt, params.lang(q), points)
    from evfault.web.alerts import dashboard_counts  # these render through this module
    from evfault.web.commands_pages import words_for
    from evfault.web.driver_reports import recent
    from evfault.web.trust_pages import dashboard_panel

    return render(request, "dashboard.html", view=view, nav="dashboard",
                  panel=await dashboard_panel(request),
                  alert_counts=await dashboard_counts(request),
                  driver_reports=await recent(request, unseen=True),
                  command_words=words_for(request))


async def charger(request: Request) -> Response:
    charger_id = request.path_params["charger_id"]
    try:
        view = await views.charger_detail(services_of(request), charger_id)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    from evfault.web.commands_pages import panel, words_for

    return render(request, "charger.html", view=redact(request, view), nav="dashboard",
                  commands=await panel(request, charger_id), command_words=words_for(request))


async def help_index(request: Request) -> Response:
    q = request.query_params
    catalog, lang = services_of(request).catalog, i18n.page_language(request)
    query = params.text(q, "q")
    target = codes.single_match(catalog, query) if query else None
    if target is not None:
        # A driver who typed exactly one known code wants its page, not a list of one.
        suffix = f"?lang={lang}" if params.text(q, "lang") else ""
        return RedirectResponse(target + suffix, status_code=303)
    view = codes.help_index(catalog, query, lang, i18n.strings_of(request)[lang])
    return render_driver(request, "help_index.html", lang, view=view, nav="help")


async def help_code(request: Request) -> Response:
    catalog, lang = services_of(request).catalog, i18n.page_language(request)
    scheme, code = request.path_params["scheme"], request.path_params["code"]
    try:
        view = codes.detail(catalog, scheme, code, lang, i18n.strings_of(request)[lang])
    except codes.UnknownCode:
        return unknown_code(request, lang, scheme, code)
    return render_driver(request, "help_code.html", lang, view=view, nav="help")


def unknown_code(request: Request, lang: str, scheme: str, code: str) -> Response:
    """A code the catalog lacks: what a driver can do anyway, never an API path."""
    known = services_of(request).catalog.schemes.get(scheme.strip().lower())
    view = {"code": code, "scheme": scheme, "scheme_title": known.title if known else None}
    return render_driver(
        request, "unknown_code.html", lang, http_status=404, view=view, nav="help"
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard, methods=["GET"]),
        Route("/chargers/{charger_id:path}", charger, methods=["GET"]),
        Route("/help", help_index, methods=["GET"]),
        Route("/help/{scheme}/{code:path}", help_code, methods=["GET"]),
    ]
