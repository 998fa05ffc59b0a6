"""Sites in the API: limits, allocations, reservations and the sources' states."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.sites.config import site_to_dict
from evfault.sites.enforce import Enforcer
from evfault.sites.manager import SiteManager, SiteRuntime
from evfault.web.http import API_PREFIX, ApiError, OrjsonResponse
from evfault.web.shapes import Json, iso


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
        return {"sent_a": None, "sent_at": None, "profile_answer": None, "refuses_profiles": None}
    sent = enforcer.sent.get(charger_id)
    answer = enforcer.answers.get(charger_id)
    return {"sent_a": sent.limit_a if sent else None,
            "sent_at": iso(sent.at) if sent else None,
            "profile_answer": answer.status.value if answer else None,
            "refuses_profiles": enforcer.flagged.get(charger_id)}


def site_view(runtime: SiteRuntime, enforcer: Enforcer | None = None) -> Json:
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
        "config": site_to_dict(site),
    }


async def list_sites(request: Request) -> Response:
    manager = getattr(request.app.state, "sites", None)
    runtimes = [] if manager is None else list(manager.runtimes.values())
    enforcer = None if manager is None else manager.enforcer
    return OrjsonResponse({"sites": [site_view(r, enforcer) for r in runtimes]})


async def get_site(request: Request) -> Response:
    site_id = request.path_params["site_id"]
    manager = manager_of(request)
    runtime = manager.runtimes.get(site_id)
    if runtime is None:
        raise ApiError(404, f"There is no site {site_id!r}; GET /api/v1/sites lists them.")
    return OrjsonResponse(site_view(runtime, manager.enforcer))


def routes() -> list[BaseRoute]:
    return [
        Route(f"{API_PREFIX}/sites", list_sites, methods=["GET"]),
        Route(f"{API_PREFIX}/sites/{{site_id}}", get_site, methods=["GET"]),
    ]
