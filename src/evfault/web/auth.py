"""Login required: who is asking, what is public, CSRF and cross-site checks, roles.

A pure ASGI middleware in front of every HTTP route (streams stay streams). Public: the driver
help pages, the public charger pages, the code catalogue, decoding and scanning, health, static
files and the login pages. Everything else (the dashboard, charger pages, the operator API, the
event stream, and whatever later routes add) needs a login session or a Bearer token: pages
redirect to /login, API calls get 401 with one sentence.

A state-changing request made with a session cookie must carry the session's CSRF token (the
`x-csrf-token` header, or the `csrf_token` field of a form), and one that names a foreign
Origin is refused whoever sends it. Bearer-token calls need no CSRF token: a browser never
adds that header by itself.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evfault.auth.accounts import Principal
from evfault.auth.model import Role
from evfault.auth.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, csrf_matches
from evfault.web.http import API_PREFIX, ApiError, error_response
from evfault.web.shapes import Json

PUBLIC_EXACT = frozenset({
    "/healthz", "/help", "/login", f"{API_PREFIX}/codes", f"{API_PREFIX}/decode",
    f"{API_PREFIX}/scan", "/favicon.ico",
})
PUBLIC_PREFIXES = ("/help/", "/c/", "/static/", "/login/", f"{API_PREFIX}/codes/")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM = 64 * 1024  # a form the CSRF check reads before the route does

LOGIN_FIRST = "Log in first: send a session cookie from /login or an 'Authorization: Bearer' token."


def is_public(path: str) -> bool:
    return path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES)


def wants_page(scope: Scope) -> bool:
    """A browser asking for a page (redirect it to the login) rather than a program."""
    path: str = scope["path"]
    if path.startswith(API_PREFIX) or path == "/openapi.json":
        return False
    accept = Headers(scope=scope).get("accept", "")
    return "text/html" in accept or "application/json" not in accept


def session_cookie(headers: Headers) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is no session, not an error
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def same_origin(scope: Scope, headers: Headers) -> bool:
    """False when the request names an Origin other than this server's own address."""
    origin = headers.get("origin")
    if origin is None:  # not a browser, or a same-origin GET-like request
        return True
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return origin == f"{scheme}://{headers.get('host', '')}"


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        principal = await self._principal(scope, headers)
        scope.setdefault("state", {})["principal"] = principal
        path, method = scope["path"], scope["method"]
        if method in UNSAFE and not same_origin(scope, headers):
            await _refuse(scope, receive, send, 403,
                          "This request came from another site and was refused.")
            return
        if is_public(path) or (wants_page(scope) and not _has_route(scope)):
            # A page no route serves is a 404 for everyone (in the reader's language), not a
            # detour through the login form; the API keeps asking programs to log in first.
            await self.app(scope, receive, send)
            return
        if principal is None:
            await self._ask_to_log_in(scope, receive, send)
            return
        if method in UNSAFE and principal.via == "session":
            checked = await _checked_csrf(scope, headers, receive, principal)
            if checked is None:
                await _refuse(scope, _nothing, send, 403,
                              "The form or request lacked this session's CSRF token; "
                              "reload the page and try again.")
                return
            receive = checked
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope, headers: Headers) -> Principal | None:
        trust = getattr(scope["app"].state, "trust", None)
        if trust is None:
            return None
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            found: Principal | None = await trust.accounts.from_token(authorization[7:].strip())
            return found
        from_cookie: Principal | None = await trust.accounts.from_session(
            session_cookie(headers))
        return from_cookie

    async def _ask_to_log_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        if wants_page(scope) and scope["method"] == "GET":
            target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}"
                                      if scope.get("query_string") else "")
            response: Response = RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
        else:
            response = error_response(401, LOGIN_FIRST)
            response.headers["www-authenticate"] = 'Bearer realm="evfault"'
        await response(scope, receive, send)


def _has_route(scope: Scope) -> bool:
    routes = getattr(scope.get("app"), "routes", ())
    return any(route.matches(scope)[0] is not Match.NONE for route in routes)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    if wants_page(scope):
        from evfault.web.pages import error_page  # pages import this module's helpers

        response = error_page(Request(scope, receive), status, message)
    else:
        response = error_response(status, message)
    await response(scope, receive, send)


async def _checked_csrf(scope: Scope, headers: Headers, receive: Receive,
                        principal: Principal) -> Receive | None:
    """A receive that replays the body when the CSRF token is right; None when it is not."""
    assert principal.csrf is not None
    if csrf_matches(principal.csrf, headers.get(CSRF_HEADER)):
        return receive
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = await _read_body(receive)
    if body is None:
        return None
    fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if not csrf_matches(principal.csrf, fields.get(CSRF_FIELD)):
        return None
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _read_body(receive: Receive) -> bytes | None:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk: bytes = message.get("body", b"")
        body += chunk
        if len(body) > MAX_FORM:
            return None
        if not message.get("more_body"):
            return body


# ---- for routes ---------------------------------------------------------------------------


def principal_of(request: Request) -> Principal | None:
    found: Principal | None = request.scope.get("state", {}).get("principal")
    return found


def require(request: Request, role: Role) -> Principal:
    """The principal, if their role allows `role`; else a 403 (or 401) ApiError."""
    principal = principal_of(request)
    if principal is None:
        raise ApiError(401, LOGIN_FIRST)
    if not principal.may(role):
        raise ApiError(403, f"This needs the {role.value} role; you are logged in as a "
                            f"{principal.role.value}.")
    return principal


def may_see_raw(request: Request) -> bool:
    """Raw frames (with RFID idTags in them) are for operators and admins only."""
    principal = principal_of(request)
    return principal is not None and principal.may(Role.OPERATOR)


def redact(request: Request, charger_view: Json) -> Json:
    """A charger's view without its raw frames for people who may not see them."""
    if not may_see_raw(request):
        charger_view.pop("messages", None)
    return charger_view


def template_context(request: Request) -> dict[str, Any]:
    """What every page's template may use: the person logged in and their CSRF token."""
    principal = principal_of(request)
    return {
        "me": principal,
        "csrf": principal.csrf if principal else None,
        "can_operate": principal is not None and principal.may(Role.OPERATOR),
        "can_admin": principal is not None and principal.may(Role.ADMIN),
    }
