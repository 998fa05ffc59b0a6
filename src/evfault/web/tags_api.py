"""The RFID idTag allow-list over HTTP (operators and admins; viewers never see tags).

    GET    /api/v1/id-tags
    PUT    /api/v1/id-tags/{id_tag}   {"parent": "FLEET-1", "expires_at": "2027-01-01T00:00:00Z",
                                      "blocked": false, "note": "van 12"}
    DELETE /api/v1/id-tags/{id_tag}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.auth.tag_list import TagList
from evfault.auth.tags import TagEntry
from evfault.errors import UserError
from evfault.store.times import as_utc
from evfault.web.auth import require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json, iso

EXAMPLE = '{"parent": "FLEET-1", "expires_at": "2027-01-01T00:00:00Z", "blocked": false}'


def tag_json(entry: TagEntry) -> Json:
    return {"id_tag": entry.id_tag, "parent": entry.parent, "expires_at": iso(entry.expires_at),
            "blocked": entry.blocked, "note": entry.note, "created_at": iso(entry.created_at),
            "updated_at": iso(entry.updated_at)}


def tag_list_of(request: Request) -> TagList:
    found: TagList | None = getattr(request.app.state, "tags", None)
    if found is None:
        raise ApiError(503, "This server keeps no idTag list (it has no OCPP endpoint).")
    return found


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise ApiError(400, f"expires_at must be an ISO 8601 time such as "
                            f"2027-01-01T00:00:00Z, not {value!r}.") from None


def entry_from(id_tag: str, body: Any) -> TagEntry:
    if not isinstance(body, dict):
        raise ApiError(400, f"Send the tag as a JSON object such as {EXAMPLE}.")
    parent, note, blocked = body.get("parent"), body.get("note"), body.get("blocked", False)
    if parent is not None and not isinstance(parent, str):
        raise ApiError(400, "parent must be another tag, as text.")
    if note is not None and not isinstance(note, str):
        raise ApiError(400, "note must be text.")
    if not isinstance(blocked, bool):
        raise ApiError(400, "blocked must be true or false.")
    return TagEntry(id_tag, parent or None, _when(body.get("expires_at")), blocked, note)


async def list_tags(request: Request) -> Response:
    require(request, Role.OPERATOR)
    return OrjsonResponse({"tags": [tag_json(e) for e in await tag_list_of(request).entries()]})


async def put_tag(request: Request) -> Response:
    actor = require(request, Role.OPERATOR).user.name
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise ApiError(400, f"The body is not JSON; send an object such as {EXAMPLE}.") from None
    try:
        stored = await tag_list_of(request).put(
            actor, entry_from(request.path_params["id_tag"], body))
    except UserError as exc:
        raise ApiError(400, str(exc)) from None
    return OrjsonResponse(tag_json(stored))


async def delete_tag(request: Request) -> Response:
    actor = require(request, Role.OPERATOR).user.name
    try:
        await tag_list_of(request).remove(actor, request.path_params["id_tag"])
    except UserError as exc:
        raise ApiError(404, str(exc)) from None
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    p = f"{API_PREFIX}/id-tags"
    return [Route(p, list_tags, methods=["GET"]),
            Route(f"{p}/{{id_tag}}", put_tag, methods=["PUT"]),
            Route(f"{p}/{{id_tag}}", delete_tag, methods=["DELETE"])]
