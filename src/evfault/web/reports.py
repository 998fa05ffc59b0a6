"""Reliability reports under /api/v1/reports and the operators' outage exclusions.

Every report reads the history of its window from the database (store/history.py) and hands it
to the same pure functions `evfault analyze` uses (analytics/), so the API and a log of the same
traffic give the same numbers. Login required; setting an exclusion needs the operator role.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.analytics import evchart, report
from evfault.analytics.model import Window
from evfault.analytics.mttr import GROUPS, mttr
from evfault.analytics.uptime import (
    EXCLUSION_REASONS,
    NEVI_TARGET,
    NEVI_YEAR_MIN,
    Exclusion,
    Outage,
    add_months,
    monthly_uptime,
    port_uptime,
)
from evfault.auth.model import AuditEntry, Role
from evfault.store import history as stored
from evfault.store.accounts import audit
from evfault.store.exclusions import exclusions, set_exclusion
from evfault.web import params
from evfault.web.auth import require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.login import trust_of

YEAR = timedelta(minutes=NEVI_YEAR_MIN)  # the default window: the previous 365 days
FIND_BACK = timedelta(days=800)  # how far back an outage id is looked for
MAX_NOTES = 2000


# ---- views (shared by the API and the Reliability page) -------------------------------------


def window_of(request: Request) -> Window:
    """since/until from the query; the previous 365 days (P = 525,600 min) by default."""
    q = request.query_params
    now = request.app.state.services.clock()
    until = params.timestamp(q, "until") or now
    since = params.timestamp(q, "since") or until - YEAR
    if until <= since:
        raise ApiError(400, "until must be later than since.")
    return Window(since, until)


async def read_history(request: Request, since: datetime, until: datetime
                       ) -> tuple[report.History, dict[str, Exclusion]]:
    store = trust_of(request).store
    return await store.read(_history_and_exclusions, since, until)


def _history_and_exclusions(connection: Any, since: datetime, until: datetime
                            ) -> tuple[report.History, dict[str, Exclusion]]:
    return stored.history(connection, since, until), exclusions(connection)


async def reliability(request: Request, window: Window) -> dict[str, Any]:
    """The whole report (the page's data), with the charging success counted in SQL."""
    found, excluded = await read_history(request, window.since, window.until)
    built = report.build(found, window, excluded)
    ended, failed = await trust_of(request).store.read(stored.session_ends, window.since,
                                                       window.until)
    rate = None if not ended else round((ended - failed) / ended * 100, 3)
    built["success"] = [{"group": "all", "sessions": ended, "succeeded": ended - failed,
                         "failed": failed, "success_rate": rate}]
    return built


def _outages(found: report.History, excluded: dict[str, Exclusion], window: Window,
             until: datetime) -> list[Outage]:
    return [o for o in report.found_outages(found, until, excluded)
            if o.end > window.since and o.start < window.until]


# ---- the API --------------------------------------------------------------------------------


async def mttr_report(request: Request) -> Response:
    window = window_of(request)
    by = params.choice(request.query_params, "group_by", GROUPS) or "code"
    found = await trust_of(request).store.read(stored.incident_history, window.since,
                                               window.until)
    rows = mttr(found.incidents, by, found.chargers, window, found.actions)
    return OrjsonResponse({"group_by": by, **_span(window), "rows": [r.as_dict() for r in rows]})


async def uptime_report(request: Request) -> Response:
    window = window_of(request)
    monthly = params.choice(request.query_params, "monthly", ("true", "false")) == "true"
    # µ per month is over the twelve months that end with it: read a year further back.
    start = add_months(window.since, -12) if monthly else window.since
    found, excluded = await read_history(request, start, window.until)
    outages = report.found_outages(found, window.until, excluded)
    rows = port_uptime(outages, found.ports, window)
    body: dict[str, Any] = {**_span(window), "period_min": round(window.minutes, 3),
                            "target": NEVI_TARGET, "ports": [r.as_dict() for r in rows]}
    if monthly:
        last = window.until - timedelta(microseconds=1)
        body["months"] = [{"month": month, **row.as_dict()} for month, row in
                          monthly_uptime(outages, found.ports, window.since, last)]
    return OrjsonResponse(body)


async def outages_report(request: Request) -> Response:
    window = window_of(request)
    charger = params.text(request.query_params, "charger_id")
    found, excluded = await read_history(request, window.since, window.until)
    listed = [o.as_dict() for o in _outages(found, excluded, window, window.until)
              if charger is None or o.charger_id == charger]
    return OrjsonResponse({**_span(window), "outages": listed,
                           "reasons": {str(k): v for k, v in EXCLUSION_REASONS.items()}})


async def put_exclusion(request: Request) -> Response:
    exclusion = _exclusion_body(await request.body())
    shown = await exclude_outage(request, request.path_params["outage_id"], exclusion)
    return OrjsonResponse(shown.as_dict())


async def exclude_outage(request: Request, outage_id: str, exclusion: Exclusion | None
                         ) -> Outage:
    """Record an operator's exclusion (None: count the outage again); the API and the page."""
    principal = require(request, Role.OPERATOR)
    now = request.app.state.services.clock()
    found, excluded = await read_history(request, now - FIND_BACK, now)
    outage = next((o for o in report.found_outages(found, now, excluded) if o.id == outage_id),
                  None)
    if outage is None:
        raise ApiError(404, f"There is no outage {outage_id!r}; GET {API_PREFIX}/reports/outages "
                            "lists them with their ids.")
    name = principal.user.name
    detail = "cleared" if exclusion is None else f"reason {exclusion.reason}: {exclusion.notes}"
    await trust_of(request).store.write(_set, outage, exclusion, name, now, detail)
    return Outage(outage.id, outage.charger_id, outage.connector_id, outage.start, outage.end,
                  outage.ongoing, outage.causes, exclusion)


def _set(connection: Any, outage: Outage, exclusion: Exclusion | None, actor: str,
         at: datetime, detail: str) -> None:
    set_exclusion(connection, outage, exclusion, actor, at)
    audit(connection, AuditEntry(at, actor, "outage.exclusion", outage.id, detail))


def _exclusion_body(body: bytes) -> Exclusion | None:
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise ApiError(400, 'The body must be JSON like {"reason": 3, "notes": "…"}.') from None
    if not isinstance(data, dict) or "reason" not in data:
        raise ApiError(400, 'Give {"reason": 1–6, "notes": "…"}, or {"reason": null} to count '
                            "the outage again.")
    reason, notes = data["reason"], data.get("notes") or ""
    if reason is None:
        return None
    if type(reason) is not int or reason not in EXCLUSION_REASONS:
        raise ApiError(400, "reason must be a number from 1 to 6: " + "; ".join(
            f"{k} {v}" for k, v in EXCLUSION_REASONS.items()) + ".")
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        raise ApiError(400, f"notes must be text of at most {MAX_NOTES} characters.")
    return Exclusion(reason, notes)


async def ev_chart(request: Request) -> Response:
    text = params.text(request.query_params, "quarter")
    if text is None:
        raise ApiError(400, "Give the quarter, like quarter=2026Q3.")
    out_of_range = ApiError(400, f"The quarter must lie between 1971 and 8999, not {text!r}.")
    try:
        quarter = evchart.quarter(text)
    except OverflowError:
        raise out_of_range from None
    except ValueError as exc:  # the pattern's own sentence, or datetime's "year … out of range"
        raise (ApiError(400, str(exc)) if str(exc).endswith(".") else out_of_range) from None
    if not params.EARLIEST.year < quarter.since.year < params.LATEST.year:
        raise out_of_range
    now = request.app.state.services.clock()
    until = min(quarter.until, now)
    if until <= quarter.since:
        raise ApiError(400, f"{text} has not begun yet.")
    found, excluded = await read_history(request, add_months(quarter.since, -12), until)
    outages = report.found_outages(found, until, excluded)
    body = evchart.report(outages, found.ports, quarter)
    name = f"ev-chart-{text.upper().replace('-', '')}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def _span(window: Window) -> dict[str, str]:
    return {"since": report.iso(window.since), "until": report.iso(window.until)}


def routes() -> list[BaseRoute]:
    r = f"{API_PREFIX}/reports"
    return [
        Route(f"{r}/mttr", mttr_report, methods=["GET"]),
        Route(f"{r}/uptime", uptime_report, methods=["GET"]),
        Route(f"{r}/outages", outages_report, methods=["GET"]),
        Route(f"{r}/ev-chart", ev_chart, methods=["GET"]),
        Route(f"{API_PREFIX}/outages/{{outage_id}}/exclusion", put_exclusion, methods=["PUT"]),
    ]
