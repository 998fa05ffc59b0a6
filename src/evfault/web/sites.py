"""Sites in the API: limits, allocations, reservations and the sources' states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role
from evfault.catalog.catalog import Catalog
from evfault.sites.config import SiteConfigError, site_from, site_to_dict
from evfault.sites.enforce import Enforcer
from evfault.sites.manager import SiteManager, SiteRuntime
from evfault.store.sites import Notification
from evfault.web import params
from evfault.web.auth import require
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json, help_url, iso


def manager_of(request: Request) -> SiteManager:
    manager: SiteManager | None = getattr(request.app.state, "sites", None)
    if manager is None:
        raise ApiError(404, "This server manages no sites; start it with --sites FILE.")
    return manager


def _source(runtime: SiteRuntime, name: str) -> Json | None:
    spec = getattr(runtime.site, name)
    if spec is None:
        return None
    reading = getattr(runtime, name)
    return {"url": spec.url, "state": reading.state.value, "value_a": reading.value_a,
            "fallback_a": spec.fallback_a}


def _enforced(enforcer: Enforcer | None, charger_id: str) -> Json:
    """The limit the charger accepted last, and whether it refuses profiles."""
    if enforcer is None:
        return {"sent_a": None, "sent_at": None, "profile_answer": None,
                "fallback_config": None, "refuses_profiles": None}
    sent = enforcer.sent.get(charger_id)
    answer = enforcer.answers.get(charger_id)
    return {"sent_a": sent.limit_a if sent else None,
            "sent_at": iso(sent.at) if sent else None,
            "profile_answer": answer.status.value if answer else None,
            "fallback_config": (enforcer.config_answers[charger_id].status.value
                                if charger_id in enforcer.config_answers else None),
            "refuses_profiles": enforcer.flagged.get(charger_id)}


def notification_view(note: Notification, catalog: Catalog, lang: str) -> Json:
    """A site notification with the catalog's words for it (title, summary, steps)."""
    entry = catalog.get("platform", note.code)
    text = entry.text(lang) if entry else None
    return {
        "id": note.id, "code": note.code, "ref": f"platform:{note.code}",
        "subject": note.subject or None,
        "title": text.title if text else note.code,
        "severity": str(entry.severity) if entry else "warning",
        "summary": text.summary if text else None,
        "operator_steps": list(text.operator_steps) if text else [],
        "help_url": help_url("platform", note.code),
        "info": orjson.loads(note.info) if note.info else {},
        "opened_at": iso(note.opened_at), "cleared_at": iso(note.cleared_at),
    }


def site_view(runtime: SiteRuntime, enforcer: Enforcer | None = None,
              notes: Iterable[Json] = ()) -> Json:
    """One site as every face shows it (API, page, live refresh)."""
    a = runtime.allocation
    site = runtime.site
    return {
        "id": site.id,
        "name": site.title,
        "phases": site.phases,
        "fuse_limit_a": site.fuse_limit_a,
        "limit_a": a.limit_a,
        "limit_source": a.limit_source,
        "metered_a": a.metered_a,
        "meter_source": a.meter_source,
        "allocated_a": round(a.allocated_a, 1),
        "reserved_a": round(a.reserved_a, 1),
        "headroom_a": round(a.headroom_a, 1),
        "overloaded": a.overloaded,
        "computed_at": iso(runtime.computed_at),
        "meter": _source(runtime, "meter"),
        "ems": _source(runtime, "ems"),
        "chargers": [
            {"id": s.charger_id, "state": s.state.value, "allocated_a": s.allocated_a,
             "reserved_a": s.reserved_a, "paused": s.paused,
             "max_current_a": spec.max_current_a,
             "fallback_current_a": spec.fallback_current_a, **_enforced(enforcer, s.charger_id)}
            for s, spec in zip(a.shares, site.chargers, strict=True)
        ],
        "link_cut": runtime.link_cut,
        "notifications": list(notes),
        "config": site_to_dict(site),
    }


def full_view(request: Request, manager: SiteManager, runtime: SiteRuntime,
              lang: str | None = None) -> Json:
    services = request.app.state.services
    lang = lang or params.lang(request.query_params, services.catalog.languages,
                               request.headers.get("accept-language"))
    notes = [notification_view(n, services.catalog, lang)
             for n in manager.notifier.active(runtime.site.id)]
    return site_view(runtime, manager.enforcer, notes)


async def list_sites(request: Request) -> Response:
    manager: SiteManager | None = getattr(request.app.state, "sites", None)
    if manager is None:
        return OrjsonResponse({"sites": []})
    return OrjsonResponse({"sites": [full_view(request, manager, r)
                                     for r in manager.runtimes.values()]})


async def get_site(request: Request) -> Response:
    site_id = request.path_params["site_id"]
    manager = manager_of(request)
    return OrjsonResponse(full_view(request, manager, runtime_of(manager, site_id)))


def runtime_of(manager: SiteManager, site_id: str) -> SiteRuntime:
    runtime = manager.runtimes.get(site_id)
    if runtime is None:
        raise ApiError(404, f"There is no site {site_id!r}; GET /api/v1/sites lists them.")
    return runtime


async def put_site(request: Request) -> Response:
    actor = require(request, Role.ADMIN).user.name
    manager = manager_of(request)
    site_id = request.path_params["site_id"]
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(400, "The body is not JSON; send a site as the site file writes one "
                            '({"fuse_limit_a": 63, "chargers": [...]}).') from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object: one site.")
    if body.get("id", site_id) != site_id:
        raise ApiError(400, f"The body's id {body.get('id')!r} differs from the address's "
                            f"{site_id!r}.")
    try:
        site = site_from(f"site {site_id!r}", {**body, "id": site_id})
        runtime = await manager.put_site(site, actor)
    except SiteConfigError as exc:
        raise ApiError(400 if "comes from the site file" not in str(exc) else 409,
                       str(exc)) from None
    return OrjsonResponse(full_view(request, manager, runtime))


async def site_history(request: Request) -> Response:
    manager = manager_of(request)
    runtime = runtime_of(manager, request.path_params["site_id"])
    now = request.app.state.services.clock()
    since = params.timestamp(request.query_params, "since") or now - timedelta(days=1)
    samples = await manager.history(runtime.site.id, since)
    return OrjsonResponse({"site_id": runtime.site.id, "since": iso(since), "samples": [
        {"at": iso(x.at), "limit_a": x.limit_a, "metered_a": x.metered_a,
         "allocated_a": x.allocated_a, "reserved_a": x.reserved_a} for x in samples]})


def routes() -> list[BaseRoute]:
    return [
        Route(f"{API_PREFIX}/sites", list_sites, methods=["GET"]),
        Route(f"{API_PREFIX}/sites/{{site_id}}", get_site, methods=["GET"]),
        Route(f"{API_PREFIX}/sites/{{site_id}}", put_site, methods=["PUT"]),
        Route(f"{API_PREFIX}/sites/{{site_id}}/history", site_history, methods=["GET"]),
    ]
