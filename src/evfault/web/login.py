"""/login, /logout, the first-run link (`evfault serve` with no user yet) and one-time links."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from evfault.auth.model import Role, User
from evfault.auth.service import Trust
from evfault.auth.sessions import COOKIE
from evfault.errors import UserError
from evfault.web.auth import principal_of
from evfault.web.pages import error_page, render

MAX_FORM = 16 * 1024


def trust_of(request: Request) -> Trust:
    trust: Trust | None = getattr(request.app.state, "trust", None)
    if trust is None:
        raise RuntimeError("This app was built without accounts (create_app(trust=…)).")
    return trust


async def form_of(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the only kind evfault's pages send)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this server, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def logged_in(request: Request, trust: Trust, user: User, target: str) -> Response:
    """Redirect to `target` with a new session cookie for `user`."""
    value, _ = trust.accounts.start_session(user)
    response = RedirectResponse(safe_next(target), 303)
    response.set_cookie(
        COOKIE, value, max_age=int(trust.accounts.session_hours * 3600), path="/",
        httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )
    return response


async def login_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if principal_of(request) is not None:
        return RedirectResponse(target, 303)
    return render(request, "login.html", next=target, error=None, user_name="")


async def login_submit(request: Request) -> Response:
    trust, form = trust_of(request), await form_of(request)
    name, password = form.get("name", ""), form.get("password", "")
    target = safe_next(form.get("next"))
    outcome = await trust.accounts.login(name, password, client_address(request))
    if isinstance(outcome, timedelta):
        wait = max(1, round(outcome.total_seconds()))
        return render(request, "login.html", http_status=429, next=target, user_name=name,
                      error=f"Too many failed attempts; wait {wait} s and try again.")
    if outcome is None:
        return render(request, "login.html", http_status=401, next=target, user_name=name,
                      error="That name and password do not match an account.")
    return logged_in(request, trust, outcome, target)


async def logout(request: Request) -> Response:
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


async def first_page(request: Request) -> Response:
    trust, token = trust_of(request), request.query_params.get("token", "")
    if await trust.accounts.has_users():
        return RedirectResponse("/login", 303)
    grant = trust.accounts.peek_link(token)
    if grant is None or grant.user_id is not None:
        return error_page(request, 403, "This first-run link was used or has expired; "
                                        "restart evfault serve to print a new one.")
    return render(request, "first_run.html", token=token, error=None, user_name="")


async def first_submit(request: Request) -> Response:
    trust, form = trust_of(request), await form_of(request)
    token, name, password = form.get("token", ""), form.get("name", ""), form.get("password", "")
    grant = trust.accounts.peek_link(token)
    if grant is None or grant.user_id is not None or await trust.accounts.has_users():
        return error_page(request, 403, "This first-run link was used or has expired; "
                                        "restart evfault serve to print a new one.")
    try:
        created = await trust.admin.add_user("first-run", name, Role.ADMIN, password or None)
    except UserError as exc:
        return render(request, "first_run.html", http_status=400, token=token, user_name=name,
                      error=str(exc))
    trust.accounts.redeem_link(token)
    assert created.user is not None
    return logged_in(request, trust, created.user, "/")


async def link_login(request: Request) -> Response:
    """A one-time link that logs its holder in (`evfault demo` prints one)."""
    trust = trust_of(request)
    grant = trust.accounts.redeem_link(request.query_params.get("token", ""))
    user = await trust.accounts.user(grant.user_id) if grant and grant.user_id else None
    if user is None:
        return error_page(request, 403, "This login link was used or has expired; "
                                        "log in with your name and password instead.")
    return logged_in(request, trust, user, request.query_params.get("next", "/"))


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/login/first", first_page, methods=["GET"]),
        Route("/login/first", first_submit, methods=["POST"]),
        Route("/login/link", link_login, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
    ]
