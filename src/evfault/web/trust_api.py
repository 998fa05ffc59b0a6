"""The registry, refused connections and the audit log as JSON, and the changes people make.

Roles: a viewer may read the registry and the refusals; an operator also approves and rejects;
an admin also adds chargers, sets their passwords and reads the audit log. Every change is the
same `Admin` call the CLI makes, audited under the logged-in user's name.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.auth.shapes import audit_json, created_json, entry_json, refusal_json
from evfault.errors import UserError
from evfault.ocpp.admission import Registration
from evfault.web import params
from evfault.web.auth import require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.login import trust_of
from evfault.web.shapes import Json

REFUSED_LIMIT = (100, 1000)
AUDIT_LIMIT = (100, 1000)


# ---- views (shared by the API and the pages) ------------------------------------------------


def _online(request: Request) -> set[str]:
    central = getattr(request.app.state, "central", None)
    return set(central.sessions) if central is not None else set()


async def registry_view(request: Request) -> list[Json]:
    trust = trust_of(request)
    await trust.flush()  # chargers met in the last seconds are listed too
    online = _online(request)
    return [entry_json(e, e.charger_id in online) for e in await trust.admin.chargers()]


async def refused_view(request: Request, limit: int) -> list[Json]:
    from evfault.store import registry

    trust = trust_of(request)
    await trust.flush()
    return [refusal_json(r) for r in await trust.store.read(registry.refusals, limit)]


async def audit_view(request: Request, limit: int, before: int | None = None) -> list[Json]:
    entries = await trust_of(request).admin.audit_entries(limit, before)
    return [audit_json(e) for e in entries]


# ---- the API --------------------------------------------------------------------------------


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError(400, "The body is not JSON; send an object such as "
                            '{"id": "CP1", "profile": 1, "generate_password": true}.') from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return data


def _user_error(exc: UserError) -> ApiError:
    status = 404 if exc.exit_code == 1 else 400
    return ApiError(status, str(exc))


async def list_registry(request: Request) -> Response:
    require(request, Role.VIEWER)
    return OrjsonResponse({"chargers": await registry_view(request)})


async def get_registry_entry(request: Request) -> Response:
    require(request, Role.VIEWER)
    charger_id = request.path_params["charger_id"]
    try:
        entry = await trust_of(request).admin.charger(charger_id)
    except UserError as exc:
        raise _user_error(exc) from None
    return OrjsonResponse(entry_json(entry, charger_id in _online(request)))


async def add_registry_entry(request: Request) -> Response:
    actor = require(request, Role.ADMIN).user.name
    body = await _json_body(request)
    charger_id, profile = body.get("id"), body.get("profile", 1)
    if not isinstance(charger_id, str) or not isinstance(profile, int):
        raise ApiError(400, 'Give the charger as {"id": "CP1", "profile": 1, …}.')
    state = Registration.PENDING if body.get("pending") else Registration.ACCEPTED
    try:
        created = await trust_of(request).admin.add_charger(
            actor, charger_id, profile=profile, password=_text(body, "password"),
            generate=bool(body.get("generate_password")),
            certificate_identity=_text(body, "certificate_identity"), state=state)
    except UserError as exc:
        raise _user_error(exc) from None
    return OrjsonResponse(created_json(created), status_code=201)


async def approve(request: Request) -> Response:
    return await _set_state(request, Registration.ACCEPTED)


async def reject(request: Request) -> Response:
    return await _set_state(request, Registration.REJECTED)


async def _set_state(request: Request, state: Registration) -> Response:
    actor = require(request, Role.OPERATOR).user.name
    try:
        entry = await trust_of(request).admin.set_state(
            actor, request.path_params["charger_id"], state)
    except UserError as exc:
        raise _user_error(exc) from None
    return OrjsonResponse(entry_json(entry))


async def set_password(request: Request) -> Response:
    actor = require(request, Role.ADMIN).user.name
    body = await _json_body(request)
    try:
        created = await trust_of(request).admin.set_charger_password(
            actor, request.path_params["charger_id"], password=_text(body, "password"),
            generate=bool(body.get("generate_password", not body.get("password"))),
            profile=body.get("profile") if isinstance(body.get("profile"), int) else None)
    except UserError as exc:
        raise _user_error(exc) from None
    return OrjsonResponse(created_json(created))


async def refused(request: Request) -> Response:
    require(request, Role.VIEWER)
    limit = params.integer(request.query_params, "limit", REFUSED_LIMIT[0], 1, REFUSED_LIMIT[1])
    return OrjsonResponse({"refused": await refused_view(request, limit)})


async def audit(request: Request) -> Response:
    require(request, Role.ADMIN)
    q = request.query_params
    limit = params.integer(q, "limit", AUDIT_LIMIT[0], 1, AUDIT_LIMIT[1])
    before = params.integer(q, "before", 0, 0, 2**62) or None
    return OrjsonResponse({"audit": await audit_view(request, limit, before)})


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string.")
    return value


def routes() -> list[BaseRoute]:
    p = f"{API_PREFIX}/registry/chargers"
    return [
        Route(p, list_registry, methods=["GET"]),
        Route(p, add_registry_entry, methods=["POST"]),
        Route(f"{p}/{{charger_id}}", get_registry_entry, methods=["GET"]),
        Route(f"{p}/{{charger_id}}/approve", approve, methods=["POST"]),
        Route(f"{p}/{{charger_id}}/reject", reject, methods=["POST"]),
        Route(f"{p}/{{charger_id}}/password", set_password, methods=["POST"]),
        Route(f"{API_PREFIX}/connections/refused", refused, methods=["GET"]),
        Route(f"{API_PREFIX}/audit", audit, methods=["GET"]),
    ]
