""""Report a problem" on /c/{id}: a driver's short report becomes an operator notification.

No account is needed, so the form guards itself: the browser refuses nothing, but the server
takes a report only with a form token it signed for that charger in the last hours (a
cross-site page cannot read one, and web/auth.py refuses a foreign Origin outright), and only
`driver_reports_per_hour` from one address. The address itself is never stored: a keyed hash
of it is enough to count.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.store import driver_reports as queries
from evfault.store.driver_reports import DriverReport, NewReport
from evfault.web import i18n
from evfault.web.auth import require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json, iso

FORM_MAX_AGE_S = 6 * 3600  # a page left open on a phone for a while still sends
MAX_MESSAGE = 1000
MAX_CONTACT = 200
WINDOW = timedelta(hours=1)
DASHBOARD_REPORTS = 20
SENT, TOO_MANY, EMPTY, EXPIRED, CLOSED = "sent", "too_many", "empty", "expired", "closed"
_STATUS = {SENT: 303, TOO_MANY: 429, EMPTY: 400, EXPIRED: 403, CLOSED: 403}


def _trust(request: Request) -> Any:
    return getattr(request.app.state, "trust", None)


def _key(request: Request) -> str | None:
    trust = _trust(request)
    return None if trust is None else trust.accounts.secret_key


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt="evfault-driver-report")


def form_token(request: Request, charger_id: str) -> str | None:
    key = _key(request)
    return None if key is None else _serializer(key).dumps(charger_id)


def token_matches(key: str, token: str, charger_id: str) -> bool:
    try:
        signed = _serializer(key).loads(token, max_age=FORM_MAX_AGE_S)
    except BadSignature:
        return False
    return bool(signed == charger_id)


def sender_of(key: str, request: Request) -> str:
    address = request.client.host if request.client else "unknown"
    return hmac.new(key.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def is_open(request: Request) -> bool:
    settings = request.app.state.services.settings
    return _key(request) is not None and settings.driver_reports_per_hour > 0


def form_context(request: Request, charger_id: str, state: str | None = None,
                 values: dict[str, str] | None = None) -> Json:
    """What the page's form needs: its token, whether it is open, the outcome to show."""
    shown = state if state is not None else request.query_params.get("report")
    return {
        "token": form_token(request, charger_id) if is_open(request) else None,
        "open": is_open(request),
        "state": shown if shown in _STATUS else None,
        "values": {"message": "", "contact": "", "connector": "", **(values or {})},
        "max_message": MAX_MESSAGE,
        "max_contact": MAX_CONTACT,
    }


# ---- taking a report -------------------------------------------------------------------------


def _clean(text: str | None, most: int) -> str:
    """One paragraph of plain text at most `most` characters; control characters dropped."""
    kept = "".join(ch for ch in (text or "") if ch.isprintable() or ch in "\n\t")
    return kept.strip()[:most]


def _connector(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 4 else None


async def submit(request: Request) -> Response:
    from evfault.web.driver_pages import charger_id_of, page_for, view_of  # routes import us

    lang = i18n.page_language(request)
    charger_id = charger_id_of(request)
    if await view_of(request, lang) is None:
        from evfault.web.driver_pages import not_found

        return not_found(request, lang)
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in ("message", "contact", "connector")}
    state = await _take(request, charger_id, lang, str(form.get("token") or ""), values)
    if state == SENT:
        target = f"/c/{quote(charger_id, safe='')}?lang={lang}&report={SENT}#report"
        return RedirectResponse(target, status_code=303)
    return await page_for(request, lang, report=form_context(request, charger_id, state, values),
                          http_status=_STATUS[state])


async def _take(request: Request, charger_id: str, lang: str, token: str,
                values: dict[str, str]) -> str:
    """Store the report; the outcome's name (SENT or why not)."""
    key = _key(request)
    settings = request.app.state.services.settings
    if key is None or settings.driver_reports_per_hour <= 0:
        return CLOSED
    if not token_matches(key, token, charger_id):
        return EXPIRED
    message = _clean(values["message"], MAX_MESSAGE)
    if not message:
        return EMPTY
    report = NewReport(charger_id, _connector(values["connector"]), message,
                       _clean(values["contact"], MAX_CONTACT) or None, lang,
                       sender_of(key, request))
    now = request.app.state.services.clock()
    stored = await _trust(request).store.write(
        queries.add, report, now, settings.driver_reports_per_hour, now - WINDOW)
    return SENT if stored is not None else TOO_MANY


# ---- for operators -------------------------------------------------------------------------------


def report_json(report: DriverReport) -> Json:
    return {
        "id": report.id,
        "charger_id": report.charger_id,
        "connector_id": report.connector_id,
        "message": report.message,
        "contact": report.contact,
        "lang": report.lang,
        "created_at": iso(report.created_at),
        "seen_at": iso(report.seen_at),
        "seen_by": report.seen_by,
        "charger_url": f"/chargers/{quote(report.charger_id, safe='')}",
    }


async def recent(request: Request, unseen: bool = False, charger_id: str | None = None,
                 limit: int = DASHBOARD_REPORTS, offset: int = 0) -> list[Json]:
    trust = _trust(request)
    if trust is None:
        return []
    found = await trust.store.read(queries.listed, charger_id, unseen, limit, offset)
    return [report_json(r) for r in found]


def _int(raw: str | None, default: int, most: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= most:
        raise ApiError(400, f"{name} must be a whole number from 0 to {most}, not {raw!r}.")
    return int(raw)


async def list_reports(request: Request) -> Response:
    """GET /api/v1/driver-reports?charger_id=&unseen=true&limit=&offset=: newest first."""
    require(request, Role.VIEWER)
    q = request.query_params
    unseen = q.get("unseen", "").lower() in ("1", "true", "yes")
    limit = max(1, _int(q.get("limit"), 100, 1000, "limit"))
    offset = _int(q.get("offset"), 0, 10**9, "offset")
    found = await recent(request, unseen, q.get("charger_id") or None, limit, offset)
    return OrjsonResponse({"reports": found, "limit": limit, "offset": offset})


async def _mark(request: Request) -> int:
    principal = require(request, Role.OPERATOR)
    raw = request.path_params["report_id"]
    if not raw.isdigit():
        raise ApiError(404, f"There is no driver report {raw!r}.")
    trust = _trust(request)
    now = request.app.state.services.clock()
    if not await trust.store.write(queries.mark_seen, int(raw), principal.user.name, now):
        raise ApiError(404, f"There is no driver report {raw}.")
    return int(raw)


async def mark_seen_api(request: Request) -> Response:
    """POST /api/v1/driver-reports/{id}/seen: an operator has read it (it leaves the dashboard)."""
    return OrjsonResponse({"id": await _mark(request), "seen": True})


async def mark_seen_form(request: Request) -> Response:
    """The dashboard's "Seen" button (a form with the session's CSRF token)."""
    from evfault.web.pages import error_page

    try:
        await _mark(request)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse("/#driver-reports-tile", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        # The form posts to the page itself: a page shown again (a refused report) keeps its
        # address, so its language picker and a reload still work.
        Route("/c/{charger_id:path}", submit, methods=["POST"]),
        Route(f"{API_PREFIX}/driver-reports", list_reports, methods=["GET"]),
        Route(f"{API_PREFIX}/driver-reports/{{report_id}}/seen", mark_seen_api,
              methods=["POST"]),
        Route("/driver-reports/{report_id}/seen", mark_seen_form, methods=["POST"]),
    ]
