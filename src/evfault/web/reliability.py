"""The Reliability page (/reliability) and its JSON twin (/api/v1/reports/reliability).

Both serve the same report dict (web/reports.py `reliability`); the page draws its plots on the
server (charts/plots.py) and shows them as images, in the reader's language.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.analytics.model import Window
from evfault.charts.page import data_uris
from evfault.web import i18n
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.pages import error_page, render
from evfault.web.reports import reliability, window_of


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
        languages=i18n.picker_links(request, lang), generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        since_day=window.since.date().isoformat(), until_day=last_day.date().isoformat(),
        quarter=_quarter_before(window))
    return i18n.remember(request, response, lang)


def _quarter_before(window: Window) -> str:
    """The last whole quarter that ended by the window's end (what EV-ChART asks for)."""
    month = (window.until.month - 1) // 3 * 3  # months of this year before this quarter
    year = window.until.year if month else window.until.year - 1
    return f"{year}Q{month // 3 if month else 4}"


def routes() -> list[BaseRoute]:
    return [
        Route("/reliability", reliability_page, methods=["GET"]),
        Route(f"{API_PREFIX}/reports/reliability", reliability_json, methods=["GET"]),
    ]
