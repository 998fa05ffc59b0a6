"""The registry page (/registry), the dashboard's access panel and their forms.

Forms post back here and answer with a redirect (or the page again with one sentence on what
was wrong), so approving a charger needs no script; the CSRF token rides in a hidden field.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.auth.admin import Created
from evfault.auth.model import Role
from evfault.auth.shapes import entry_json
from evfault.errors import UserError
from evfault.ocpp.admission import Registration
from evfault.web.auth import require
from evfault.web.http import ApiError
from evfault.web.login import form_of, trust_of
from evfault.web.pages import error_page, render
from evfault.web.shapes import Json
from evfault.web.trust_api import audit_view, refused_view, registry_view

PANEL_REFUSED = 5
PAGE_REFUSED = 100
PAGE_AUDIT = 50


async def dashboard_panel(request: Request) -> Json:
    """What the dashboard's access panel shows: chargers waiting for approval, refusals.

    The waiting chargers come from the gate's memory, not a read of the whole registry: the
    dashboard is loaded often, and a fleet's registry holds every charger."""
    trust = getattr(request.app.state, "trust", None)
    if trust is None:
        return {"pending": [], "refused": []}
    return {
        "pending": [entry_json(e) for e in trust.gate.pending()],
        "refused": await refused_view(request, PANEL_REFUSED),
    }


async def registry_page(request: Request, *, created: Created | None = None,
                        error: str | None = None, http_status: int = 200) -> Response:
    try:
        principal = require(request, Role.VIEWER)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    view = {
        "chargers": await registry_view(request),
        "refused": await refused_view(request, PAGE_REFUSED),
        "audit": await audit_view(request, PAGE_AUDIT) if principal.may(Role.ADMIN) else None,
    }
    return render(request, "registry.html", http_status=http_status, view=view, nav="registry",
                  created=created, error=error)


async def registry(request: Request) -> Response:
    return await registry_page(request)


async def add_charger(request: Request) -> Response:
    try:
        actor = require(request, Role.ADMIN).user.name
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    form = await form_of(request)
    try:
        profile = int(form.get("profile", "1"))
        created = await trust_of(request).admin.add_charger(
            actor, form.get("id", "").strip(), profile=profile,
            generate=profile in (1, 2) and not form.get("password"),
            password=form.get("password") or None,
            certificate_identity=form.get("certificate_identity") or None)
    except ValueError:
        return await registry_page(request, error="The security profile must be 0 to 3.",
                                   http_status=400)
    except UserError as exc:
        return await registry_page(request, error=str(exc), http_status=400)
    return await registry_page(request, created=created, http_status=201)


async def approve(request: Request) -> Response:
    return await _set_state(request, Registration.ACCEPTED)


async def reject(request: Request) -> Response:
    return await _set_state(request, Registration.REJECTED)


async def _set_state(request: Request, state: Registration) -> Response:
    try:
        actor = require(request, Role.OPERATOR).user.name
        await trust_of(request).admin.set_state(actor, request.path_params["charger_id"], state)
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    except UserError as exc:
        return error_page(request, 404, str(exc))
    form = await form_of(request)
    back = form.get("next", "/registry")
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//")
                            else "/registry", 303)


def routes() -> list[BaseRoute]:
    return [
        Route("/registry", registry, methods=["GET"]),
        Route("/registry", add_charger, methods=["POST"]),
        Route("/registry/{charger_id}/approve", approve, methods=["POST"]),
        Route("/registry/{charger_id}/reject", reject, methods=["POST"]),
    ]
