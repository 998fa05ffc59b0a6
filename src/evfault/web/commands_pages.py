"""The charger page's command buttons: a form POST per button, then back to the page.

Works without scripts (app.js only adds the confirmation and keeps the popover's buttons when
the page updates live). Operators and admins only; a viewer is shown no buttons and a viewer's
POST is a 403 page. The session's CSRF token travels in the form (checked by the middleware).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.commands.model import CommandOutcome
from evfault.web.auth import principal_of, require
from evfault.web.commands_api import command_json
from evfault.web.http import ApiError
from evfault.web.login import form_of
from evfault.web.shapes import Json, charger_url

HISTORY_SHOWN = 10
ARG_PREFIX = "arg."


def form_value(raw: str) -> Any:
    """A form field as the command's argument: numbers and true/false as such, else text."""
    if raw in ("true", "false"):
        return raw == "true"
    if raw.isdigit():
        return int(raw)
    return raw


async def send_from_form(request: Request) -> Response:
    from evfault.web.pages import error_page  # pages render through this module's panel

    charger_id = request.path_params["charger_id"]
    try:
        actor = require(request, Role.OPERATOR).user.name
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    form = await form_of(request)
    command = form.get("command", "")
    args = {key[len(ARG_PREFIX):]: form_value(value) for key, value in form.items()
            if key.startswith(ARG_PREFIX)}
    commander = request.app.state.services.commander
    if commander is None:
        return error_page(request, 503, "This server cannot send commands.")
    outcome: CommandOutcome = await commander.send(charger_id, command, args, actor=actor)
    return RedirectResponse(f"{charger_url(charger_id)}?sent={outcome.id}#commands", 303)


async def panel(request: Request, charger_id: str) -> Json | None:
    """What the page's command tile shows: recent commands and the one just sent; None for
    people who may not send commands."""
    principal = principal_of(request)
    commander = request.app.state.services.commander
    if principal is None or not principal.may(Role.OPERATOR) or commander is None:
        return None
    history = [command_json(c) for c in await commander.history(charger_id, HISTORY_SHOWN)]
    sent_id = request.query_params.get("sent")
    sent = next((c for c in history if c["id"] == sent_id), None)
    return {"history": history, "sent": sent}


def words_for(request: Request) -> dict[str, str]:
    """The popover buttons' words for an operator's page; empty for people without buttons."""
    from evfault.catalog.model import DEFAULT_LANG
    from evfault.web import i18n

    principal = principal_of(request)
    if principal is None or not principal.may(Role.OPERATOR):
        return {}
    return command_words(i18n.strings_of(request)[DEFAULT_LANG])


def command_words(t: Any) -> dict[str, str]:
    """The words the popover's step buttons need (also handed to app.js), in the page's
    language; `{target}` is filled in per button."""
    names = ("soft_reset", "hard_reset", "unlock", "inoperative")
    keys = {"soft_reset": "soft_reset", "hard_reset": "hard_reset", "unlock": "unlock",
            "inoperative": "unavailable"}
    words = {name: t(f"commands.{keys[name]}", connector="").strip() for name in names}
    for name in names:
        words[f"confirm_{name}"] = t(f"commands.confirm_{keys[name]}", target="{target}")
    return words


def routes() -> list[BaseRoute]:
    return [Route("/chargers/{charger_id}/commands", send_from_form, methods=["POST"])]
