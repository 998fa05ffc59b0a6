"""The site pages: the fuse as a bar (metered load, allocations, reservations, headroom), the
site's notifications and its limits over the day — the same view GET /api/v1/sites/{id} serves.

The page refreshes its live part by fetching itself again (static/sites.js), so what the
browser shows is always what the server rendered and escaped.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from evfault.web import i18n
from evfault.web.http import ApiError
from evfault.web.pages import error_page, render
from evfault.web.shapes import Json
from evfault.web.sites import full_view, manager_of, runtime_of

BAR_WIDTH = 1000
PLOT_WIDTH, PLOT_HEIGHT = 1000, 220


def bar_segments(view: Json) -> list[Json]:
    """The fuse's parts left to right, in SVG units: metered, each allocation, each
    reservation, headroom."""
    parts: list[tuple[str, str, float]] = [("metered", "", view["metered_a"])]
    parts += [("allocated", c["id"], c["allocated_a"]) for c in view["chargers"]
              if c["allocated_a"] > 0]
    parts += [("reserved", c["id"], c["reserved_a"]) for c in view["chargers"]
              if c["reserved_a"] > 0]
    parts.append(("headroom", "", max(0.0, view["headroom_a"])))
    total = max(view["limit_a"], sum(p[2] for p in parts), 1e-9)
    x, segments = 0.0, []
    for kind, charger_id, amps in parts:
        width = amps / total * BAR_WIDTH
        segments.append({"kind": kind, "charger_id": charger_id, "amps": round(amps, 1),
                         "x": round(x, 1), "width": round(width, 1)})
        x += width
    return segments


def _points(samples: list[Json], since: Any, span_s: float, top: float,
            value: Any) -> str:
    points = []
    for s in samples:
        at = (s["at_dt"] - since).total_seconds()
        px = max(0.0, min(PLOT_WIDTH, at / span_s * PLOT_WIDTH))
        py = PLOT_HEIGHT - min(PLOT_HEIGHT, value(s) / top * PLOT_HEIGHT)
        points.append(f"{px:.1f},{py:.1f}")
    return " ".join(points)


def plot_lines(samples: list[Any], since: Any, now: Any, fuse: float) -> list[Json]:
    """Polylines of the day: the limit, metered, + reserved, + allocated (stacked)."""
    rows = [{"at_dt": s.at, "limit": s.limit_a, "metered": s.metered_a,
             "reserved": s.metered_a + s.reserved_a,
             "allocated": s.metered_a + s.reserved_a + s.allocated_a} for s in samples]
    if rows:  # carry the last sample to now, so the line reaches the right edge
        rows.append({**rows[-1], "at_dt": now})
    span = max(1.0, (now - since).total_seconds())
    top = max([fuse] + [r["allocated"] for r in rows] + [r["limit"] for r in rows]) * 1.05
    return [{"kind": k, "points": _points(rows, since, span, top, lambda r, k=k: r[k])}
            for k in ("limit", "allocated", "reserved", "metered")]


async def site_page(request: Request) -> Response:
    lang = i18n.page_language(request)
    try:
        manager = manager_of(request)
        runtime = runtime_of(manager, request.path_params["site_id"])
    except ApiError as exc:
        return error_page(request, exc.status_code, exc.message)
    view = full_view(request, manager, runtime, lang)
    now = request.app.state.services.clock()
    since = now - timedelta(days=1)
    samples = await manager.history(runtime.site.id, since)
    return render(request, "site.html", lang=lang, nav="sites", view=view,
                  segments=bar_segments(view), bar_width=BAR_WIDTH,
                  plot=plot_lines(samples, since, now, view["fuse_limit_a"]),
                  plot_width=PLOT_WIDTH, plot_height=PLOT_HEIGHT, since=since)


async def sites_page(request: Request) -> Response:
    lang = i18n.page_language(request)
    manager = getattr(request.app.state, "sites", None)
    views = [] if manager is None else [full_view(request, manager, r, lang)
                                        for r in manager.runtimes.values()]
    return render(request, "sites.html", lang=lang, nav="sites", sites=views)


def routes() -> list[BaseRoute]:
    return [
        Route("/sites", sites_page, methods=["GET"]),
        Route("/sites/{site_id}", site_page, methods=["GET"]),
    ]
