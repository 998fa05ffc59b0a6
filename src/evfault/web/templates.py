"""Jinja2 set up for the pages: autoescape always on, small filters for times and URLs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from evfault.catalog.model import DEFAULT_LANG
from evfault.web.i18n import default_strings
from evfault.web.shapes import segment
from evfault.web.text import edition, inline_markdown

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"


@cache
def asset(name: str) -> str:
    """A static file's URL with a content hash, so a new release is never served stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


@lru_cache(maxsize=4096)
def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def clock_time(value: str | None) -> str:
    """`2024-05-01 14:03:07 UTC`: readable, sortable, and unambiguous across time zones."""
    at = parse_time(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "—"


def when(value: str | None) -> Markup:
    """A moment on an operator page: UTC here; app.js shows it in the operator's time zone
    (the time_zone setting, else the browser's)."""
    if not value:
        return Markup("—")
    return Markup('<time class="clock" datetime="{}">{}</time>').format(value, clock_time(value))


def page_context(request: Request) -> dict[str, Any]:
    """What every page may use besides the login: the zone operator pages show times in."""
    services = getattr(request.app.state, "services", None)
    settings = getattr(services, "settings", None)
    return {"time_zone": getattr(settings, "time_zone", "")}


def duration(seconds: float | None) -> str:
    """A compact age such as `45 s`, `12 min`, `3 h 05 min` or `2 d 4 h`."""
    if seconds is None:
        return "—"
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def since(value: str | None, now: str | None) -> str:
    """How long ago `value` was, seen from the view's own `generated_at`."""
    start, end = parse_time(value), parse_time(now)
    if start is None or end is None:
        return "—"
    return duration((end - start).total_seconds())


def ago(value: str | None, now: str | None) -> str:
    """`5 min ago`, or `never` for a time that never came."""
    return "never" if not value else f"{since(value, now)} ago"


_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


@lru_cache(maxsize=1024)  # a fleet repeats a handful of statuses and severities
def token(value: object) -> str:
    """A CSS class fragment made from charger-sent text: lower-case letters, digits, dashes."""
    text = str(value).lower()
    return "".join(ch if ch in _TOKEN_CHARS else "-" for ch in text)[:40] or "unknown"


def badge(severity: object, label: object = None) -> Markup:
    """A severity badge (its words in the page's language when `label` is given); Markup.format
    escapes the values, so charger text stays text."""
    shown = severity if label is None else label
    return Markup('<span class="badge sev-{}">{}</span>').format(token(severity), shown)


def connector_label(connector_id: int) -> str:
    """Connector 0 stands for the whole charger."""
    return "Charger" if connector_id == 0 else f"#{connector_id}"


def reading(value: dict[str, object] | None) -> str:
    """A reading with the charger's own precision (`5.00 VDC`) and its unit."""
    if not value:
        return ""
    number = value.get("value")
    text = str(value["text"]) if value.get("text") else \
        f"{number:g}" if isinstance(number, float | int) else str(number)
    unit = value.get("unit")
    return f"{text} {unit}" if unit else text


def build() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,  # every page shows text chargers sent: escape all of it, always
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        seg=segment,
        clock=clock_time,
        duration=duration,
        since=since,
        ago=ago,
        token=token,
        reading=reading,
        badge=badge,
        connector=connector_label,
        md=inline_markdown,
        when=when,
        edition=edition,
    )
    env.globals["asset"] = asset
    # Pages that do not choose a language (the dashboard, the API docs) speak English.
    env.globals["t"] = default_strings()[DEFAULT_LANG]
    from evfault.web.auth import template_context  # auth imports pages, which import this

    return Jinja2Templates(env=env, context_processors=[template_context, page_context])


templates = build()
