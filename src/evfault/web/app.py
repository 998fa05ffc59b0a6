"""The one ASGI app: REST API, operator dashboard, driver help pages and the live stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Lifespan

from evfault.auth.service import Trust
from evfault.context import Services
from evfault.web import (
    alerts,
    api,
    commands_api,
    commands_pages,
    docs,
    driver_pages,
    driver_reports,
    events,
    login,
    pages,
    qr,
    reliability,
    reports,
    scan,
    site_pages,
    sites,
    tags_api,
    trust_api,
    trust_pages,
)
from evfault.web.auth import AuthMiddleware
from evfault.web.fanout import Fanout
from evfault.web.http import (
    ApiError,
    SecurityHeadersMiddleware,
    handle_api_error,
    handle_http_exception,
    handle_unexpected,
)
from evfault.web.templates import STATIC_DIR


def web_routes() -> list[BaseRoute]:
    """Every route of the web layer; the OCPP endpoint comes in through `extra_routes`."""
    return [
        Route("/healthz", api.healthz, methods=["GET"]),
        *login.routes(),
        *trust_api.routes(),
        *reports.routes(),
        *alerts.routes(),
        *reliability.routes(),
        *trust_pages.routes(),
        *commands_api.routes(),
        *commands_pages.routes(),
        *tags_api.routes(),
        *qr.routes(),
        *api.routes(),
        *scan.routes(),
        *sites.routes(),
        *site_pages.routes(),
        *docs.routes(),
        *driver_reports.routes(),
        *driver_pages.routes(),
        *pages.routes(),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(
    services: Services,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Lifespan[Any] | None = None,
    trust: Trust | None = None,
) -> Starlette:
    """Build the web app around the running services (reachable as `app.state.services`).

    Without `trust` nobody can log in: only the public pages answer.
    """
    app = Starlette(
        routes=[*extra_routes, *web_routes()],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(AuthMiddleware)],
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.trust = trust
    app.state.event_streams = events.StreamRegistry()
    app.state.fanout = Fanout(services)
    return app


def close_event_streams(app: Starlette) -> None:
    """End every open live stream, so a graceful shutdown need not wait for browsers."""
    registry: events.StreamRegistry = app.state.event_streams
    registry.close_all()
    fanout: Fanout = app.state.fanout
    fanout.close_all()
