"""Commands to a charger over HTTP: send one and wait (bounded) for its answer; the history.

    POST /api/v1/chargers/{id}/commands  {"command": "reset", "args": {"type": "soft"}}
    GET  /api/v1/chargers/{id}/commands?limit=

Operators and admins only (a viewer gets 403). A command that cannot be sent as asked is a 400
with one sentence; one to a charger that is not connected a 409; everything the charger did
(accepted, rejected, a CALLERROR, no answer in time) is a 200 whose `status` says which.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.commands.commander import Commander
from evfault.commands.model import CommandOutcome, CommandStatus
from evfault.web import params
from evfault.web.auth import require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json, iso

HISTORY_LIMIT = (50, 500)
EXAMPLE = '{"command": "reset", "args": {"type": "soft"}}'
_STATUS_CODES = {CommandStatus.INVALID: 400, CommandStatus.OFFLINE: 409}


def command_json(outcome: CommandOutcome) -> Json:
    """One command as the API, the pages and the CLI show it."""
    return {
        "id": outcome.id, "charger_id": outcome.charger_id, "command": outcome.command,
        "args": outcome.args, "actor": outcome.actor, "status": outcome.status.value,
        "action": outcome.action, "payload": outcome.payload, "answer": outcome.answer,
        "error": outcome.error, "sent_at": iso(outcome.sent_at),
        "answered_at": iso(outcome.answered_at), "duration_ms": outcome.duration_ms,
        "node": outcome.node,
    }


def commander_of(request: Request) -> Commander:
    commander: Commander | None = request.app.state.services.commander
    if commander is None:
        raise ApiError(503, "This server cannot send commands (it has no OCPP endpoint).")
    return commander


async def command_request(request: Request) -> tuple[str, dict[str, Any]]:
    """The command name and its args from a JSON body; a sentence when they are not there."""
    try:
        body = orjson.loads(await request.body() or b"null")
    except orjson.JSONDecodeError:
        raise ApiError(400, f"The body is not JSON; send an object such as {EXAMPLE}.") from None
    if not isinstance(body, dict) or not isinstance(body.get("command"), str):
        raise ApiError(400, f"Name the command: send an object such as {EXAMPLE}.")
    args = body.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ApiError(400, f"args must be an object, as in {EXAMPLE}.")
    return body["command"], args


async def send_command(request: Request) -> Response:
    actor = require(request, Role.OPERATOR).user.name
    command, args = await command_request(request)
    outcome = await commander_of(request).send(request.path_params["charger_id"], command,
                                               args, actor=actor)
    status = _STATUS_CODES.get(outcome.status, 200)
    body = command_json(outcome)
    if status != 200:
        return OrjsonResponse({"error": outcome.error, "command": body}, status_code=status)
    return OrjsonResponse(body)


async def command_history(request: Request) -> Response:
    require(request, Role.OPERATOR)
    limit = params.integer(request.query_params, "limit", HISTORY_LIMIT[0], 1, HISTORY_LIMIT[1])
    found = await commander_of(request).history(request.path_params["charger_id"], limit)
    return OrjsonResponse({"commands": [command_json(c) for c in found]})


def routes() -> list[BaseRoute]:
    """Before the API's own routes: `/chargers/{id:path}` would swallow these addresses."""
    p = f"{API_PREFIX}/chargers/{{charger_id}}/commands"
    return [Route(p, send_command, methods=["POST"]), Route(p, command_history, methods=["GET"])]
