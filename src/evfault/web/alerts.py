"""Alerts on the web: the outbox (sent, pending, failed) as JSON and as a page, and the rules.

Anyone logged in may read the outbox; the rules (with the addresses they send to) are read and
changed by admins only, through `GET/PUT /api/v1/rules` or the form on the alerts page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import yaml
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.alerts.rules import RuleError, RuleSet
from evfault.alerts.service import Alerts
from evfault.auth.model import Role
from evfault.store.outbox import OutboxRow, State
from evfault.web import i18n, params
from evfault.web.auth import principal_of, require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.login import form_of
from evfault.web.pages import error_page, render
from evfault.web.shapes import Json

STATES = (State.PENDING, State.SENT, State.FAILED)
LIMIT = (100, 1000)
PAGE_LIMIT = 200
MAX_RULES = 64 * 1024


def alerts_of(request: Request) -> Alerts:
    found: Alerts | None = getattr(request.app.state, "alerts", None)
    if found is None:
        raise ApiError(503, "Alerts are not running on this server.")
    return found


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


def message_json(row: OutboxRow) -> Json:
    """One message of the outbox, as the API, the page and the docs describe it."""
    p = row.payload
    return {
        "id": row.id, "key": row.message_key, "rule": row.rule, "kind": row.kind,
        "charger_id": row.charger_id, "connector_id": p.get("connector_id"),
        "incident_id": p.get("incident_id"), "offline": bool(p.get("offline")),
        "scheme": p.get("scheme"), "code": p.get("code"), "title": p.get("title"),
        "severity": p.get("severity"), "channel": row.channel, "target": row.target,
        "state": row.state, "attempts": row.attempts, "created_at": _iso(row.created_at),
        "next_attempt_at": _iso(row.next_attempt_at) if row.state == State.PENDING else None,
        "sent_at": _iso(row.sent_at), "last_error": row.last_error,
    }


def _state(request: Request) -> str | None:
    state = params.text(request.query_params, "state")
    if state is not None and state not in STATES:
        raise ApiError(400, "state must be pending, sent or failed.")
    return state


async def outbox_view(request: Request, limit: int) -> Json:
    alerts = alerts_of(request)
    q = request.query_params
    before = params.integer(q, "before", 0, 0, 2**62) or None
    rows = await alerts.messages(_state(request), params.text(q, "charger_id"), limit, before)
    return {"alerts": [message_json(r) for r in rows], "counts": await alerts.counts()}


def rules_json(alerts: Alerts) -> Json:
    version = alerts.version
    return {
        "text": version.text if version else alerts.rules.text,
        "version": version.id if version else None,
        "source": version.source if version else "default",
        "actor": version.actor if version else None,
        "created_at": _iso(version.created_at) if version else None,
        "rules": rules_summary(alerts.rules),
    }


def rules_summary(rules: RuleSet) -> Json:
    """The rules as parsed (durations in seconds), for programs that do not read YAML."""
    def match(m: Any) -> Json:
        return {"code": list(m.code), "scheme": list(m.scheme), "severity": list(m.severity),
                "charger": list(m.charger), "status": list(m.status), "offline": m.offline}

    return {
        "self_healing": [{
            "name": r.name, "match": match(r.match), "actions": [a.value for a in r.actions],
            "after_s": r.after.total_seconds(), "verify_s": r.verify.total_seconds(),
            "during_transaction": r.during_transaction, "max_attempts": r.max_attempts,
            "window_s": r.window.total_seconds()} for r in rules.healing],
        "alerts": [{
            "name": r.name, "match": match(r.match), "after_s": r.after.total_seconds(),
            "repeat_s": r.repeat.total_seconds() if r.repeat else None,
            "quiet_while_healing": r.quiet_while_healing, "resolved": r.resolved,
            "channels": [{"kind": c.kind, "targets": list(c.targets)} for c in r.channels]}
            for r in rules.alerts],
    }


# ---- the API --------------------------------------------------------------------------------


async def list_alerts(request: Request) -> Response:
    require(request, Role.VIEWER)
    limit = params.integer(request.query_params, "limit", LIMIT[0], 1, LIMIT[1])
    return OrjsonResponse(await outbox_view(request, limit))


def _row_id(request: Request) -> int:
    raw = request.path_params["alert_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, f"There is no alert message {raw!r}.")
    return int(raw)


async def get_alert(request: Request) -> Response:
    require(request, Role.VIEWER)
    row_id = _row_id(request)
    found = await alerts_of(request).message(row_id)
    if found is None:
        raise ApiError(404, f"There is no alert message {row_id}.")
    return OrjsonResponse(message_json(found))


async def retry_alert(request: Request) -> Response:
    actor = require(request, Role.OPERATOR).user.name
    row_id = _row_id(request)
    alerts = alerts_of(request)
    found = await alerts.retry(row_id, actor)
    if found is None:
        if await alerts.message(row_id) is None:
            raise ApiError(404, f"There is no alert message {row_id}.")
        raise ApiError(409, "Only a failed message can be sent again; this one is not failed.")
    return OrjsonResponse(message_json(found))


async def get_rules(request: Request) -> Response:
    require(request, Role.ADMIN)
    return OrjsonResponse(rules_json(alerts_of(request)))


async def put_rules(request: Request) -> Response:
    actor = require(request, Role.ADMIN).user.name
    text = _rules_text(await request.body(), request.headers.get("content-type", ""))
    alerts = alerts_of(request)
    try:
        await alerts.set_rules(text, actor)
    except RuleError as exc:
        raise ApiError(400, str(exc)) from None
    return OrjsonResponse(rules_json(alerts))


def _rules_text(body: bytes, content_type: str) -> str:
    """The YAML document sent: as YAML text, or JSON ({"text": "…"} or the rules object)."""
    if len(body) > MAX_RULES:
        raise ApiError(413, "The rules document is larger than 64 KiB.")
    if "json" not in content_type:
        return body.decode("utf-8", "replace")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError(400, "The body is not JSON; send {\"text\": \"<the rules as YAML>\"}, "
                            "or YAML with Content-Type: application/yaml.") from None
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        return str(data["text"])
    if isinstance(data, dict):
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    raise ApiError(400, "The body must be a JSON object.")


# ---- the page -------------------------------------------------------------------------------


async def alerts_page(request: Request, *, error: str | None = None, saved: bool = False,
                      http_status: int = 200) -> Response:
    try:
        principal = require(request, Role.VIEWER)
        view = await outbox_view(request, PAGE_LIMIT)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    view["state"] = _state(request)
    saved = saved or request.query_params.get("saved") == "1"
    view["rules"] = (rules_json(alerts_of(request)) if principal.may(Role.ADMIN) else None)
    return render(request, "alerts.html", http_status=http_status, view=view, nav="alerts",
                  lang=i18n.page_language(request), error=error, saved=saved)


async def alerts(request: Request) -> Response:
    return await alerts_page(request)


async def retry_from_page(request: Request) -> Response:
    try:
        actor = require(request, Role.OPERATOR).user.name
        found = await alerts_of(request).retry(_row_id(request), actor)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    if found is None:
        return error_page(request, 409, "Only a failed message can be sent again.")
    return RedirectResponse("/alerts?state=pending", 303)


async def save_rules(request: Request) -> Response:
    try:
        actor = require(request, Role.ADMIN).user.name
        found = alerts_of(request)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    form = await form_of(request)
    try:
        await found.set_rules(form.get("text", ""), actor)
    except RuleError as exc:
        return await alerts_page(request, error=str(exc), http_status=400)
    return RedirectResponse("/alerts?saved=1", 303)


async def dashboard_counts(request: Request) -> dict[str, int] | None:
    """The dashboard's alert tile: how many messages are pending, sent and failed."""
    found: Alerts | None = getattr(request.app.state, "alerts", None)
    if found is None or principal_of(request) is None:
        return None
    return await found.counts()


def routes() -> list[BaseRoute]:
    return [
        Route(f"{API_PREFIX}/alerts", list_alerts, methods=["GET"]),
        Route(f"{API_PREFIX}/alerts/{{alert_id}}", get_alert, methods=["GET"]),
        Route(f"{API_PREFIX}/alerts/{{alert_id}}/retry", retry_alert, methods=["POST"]),
        Route(f"{API_PREFIX}/rules", get_rules, methods=["GET"]),
        Route(f"{API_PREFIX}/rules", put_rules, methods=["PUT"]),
        Route("/alerts", alerts, methods=["GET"]),
        Route("/alerts/rules", save_rules, methods=["POST"]),
        Route("/alerts/{alert_id}/retry", retry_from_page, methods=["POST"]),
    ]
