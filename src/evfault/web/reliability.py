"""The Reliability page (/reliability) and its JSON twin (/api/v1/reports/reliability).

Both serve the same report dict (web/reports.py `reliability`); the page draws its plots on the
server (charts/plots.py) and shows them as images, in the reader's language.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.analytics.model import Window
from evfault.analytics.uptime import Exclusion
from evfault.charts.page import data_uris
from evfault.web import i18n
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.login import form_of
from evfault.web.pages import error_page, render
from evfault.web.reports import exclude_outage, reliability, window_of

LONGEST = 20  # outages listed on the page


def longest_outages(report: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(report["outages"], key=lambda o: -o["minutes"])[:LONGEST]


async def reliability_json(request: Request) -> Response:
    return OrjsonResponse(await reliability(request, window_of(request)))


async def reliability_page(request: Request) -> Response:
    try:
        window = window_of(request)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    lang = i18n.page_language(request)
    t = i18n.strings_of(request)[lang]
    report = await reliability(request, window)
    plots = await asyncio.to_thread(data_uris, report, t)  # matplotlib: off the event loop
    now = request.app.state.services.clock()
    last_day = window.until - timedelta(microseconds=1)
    response = render(
        request, "reliability.html", lang=lang, nav="reliability", rep=report, plots=plots,
        longest=longest_outages(report), here=str(request.url.path) + "?" + request.url.query,
        languages=i18n.picker_links(request, lang), generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        since_day=window.since.date().isoformat(), until_day=last_day.date().isoformat(),
        quarter=_quarter_before(window))
    return i18n.remember(request, response, lang)


async def exclusion_form(request: Request) -> Response:
    """The page's exclusion form (a form cannot PUT): the API's rules, then back to the page."""
    form = await form_of(request)
    try:
        reason = form.get("reason", "")
        exclusion = None if reason == "" else Exclusion(int(reason), form.get("notes", "")[:2000])
        await exclude_outage(request, request.path_params["outage_id"], exclusion)
    except ValueError:
        return error_page(request, 400, "An exclusion reason is a number from 1 to 6.")
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    back = form.get("next", "/reliability")
    return RedirectResponse(back if back.startswith("/reliability") else "/reliability", 303)


def _quarter_before(window: Window) -> str:
    """The last whole quarter that ended by the window's end (what EV-ChART asks for)."""
    month = (window.until.month - 1) // 3 * 3  # months of this year before this quarter
    year = window.until.year if month else window.until.year - 1
    return f"{year}Q{month // 3 if month else 4}"


def routes() -> list[BaseRoute]:
    return [
        Route("/reliability", reliability_page, methods=["GET"]),
        Route("/reliability/outages/{outage_id}/exclusion", exclusion_form, methods=["POST"]),
        Route(f"{API_PREFIX}/reports/reliability", reliability_json, methods=["GET"]),
    ]
