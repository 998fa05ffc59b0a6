"""Who may look and act, in process: logins, roles, CSRF, tokens, the registry API and pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from evfault.auth.model import Role
from evfault.auth.service import Trust
from evfault.auth.sessions import COOKIE, CSRF_HEADER
from evfault.context import Services
from evfault.ocpp.admission import Registration
from evfault.web.app import create_app
from test_web_support import (
    bearer,
    log_in,
    services_for,
    standard_fleet,
    start_store,
    trusted,
)


@pytest.fixture
async def services(sqlite_url: str) -> AsyncIterator[Services]:
    store = await start_store(sqlite_url, standard_fleet())
    yield services_for(store)
    await store.close()


@pytest.fixture
async def app(services: Services) -> AsyncIterator[Starlette]:
    async with trusted(create_app(services)) as made:
        yield made


def trust_of(app: Starlette) -> Trust:
    trust: Trust = app.state.trust
    return trust


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[Any]:
    """A client that is not logged in; `await as_role(client, app, role)` logs it in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as made:
        yield made


async def as_role(client: httpx.AsyncClient, app: Starlette, role: str) -> httpx.AsyncClient:
    await log_in(client, trust_of(app), role)
    return client


def sentence(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"].endswith(".")
    return str(body["error"])


# ---- logged out ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/chargers/CP-1", "/registry", "/docs"])
async def test_operator_pages_send_you_to_the_login(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path + "?x=1", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + (path + "?x=1").replace(
        "/", "%2F").replace("?", "%3F").replace("=", "%3D")


@pytest.mark.parametrize("path", ["/api/v1/chargers", "/api/v1/chargers/CP-1",
                                  "/api/v1/errors/active", "/api/v1/errors", "/api/v1/events",
                                  "/api/v1/dashboard", "/api/v1/connections/refused",
                                  "/api/v1/registry/chargers", "/api/v1/audit",
                                  "/openapi.json", "/api/v1/whatever-comes-later"])
async def test_the_operator_api_answers_401_in_one_sentence(client: httpx.AsyncClient,
                                                            path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert "Log in" in sentence(response)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/help", "/help/evgo-mrec/F001", "/api/v1/codes?q=F001",
                                  "/api/v1/codes/evgo-mrec/F001", "/healthz", "/login",
                                  "/static/app.css"])
async def test_public_pages_need_no_login(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 200


async def test_decoding_stays_public(client: httpx.AsyncClient) -> None:
    frame = '[2,"1","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure",' \
            '"status":"Faulted"}]'
    response = await client.post("/api/v1/decode", content=frame)
    assert response.status_code == 200 and response.json()["faults"]


async def test_driver_pages_link_to_nothing_operator_only(client: httpx.AsyncClient) -> None:
    for path in ("/help", "/help/evgo-mrec/F001", "/help?q=nothing-matches-this"):
        html = (await client.get(path)).text
        links = set(re.findall(r'href="([^"]+)"', html))
        operator = {link for link in links if link in ("/", "/registry", "/docs")
                    or link.startswith(("/chargers", "/api/v1/chargers", "/api/v1/errors"))}
        assert operator == set(), path


# ---- logging in and out -------------------------------------------------------------------


async def test_login_sets_a_guarded_cookie_and_goes_where_you_were_going(
        client: httpx.AsyncClient, app: Starlette) -> None:
    await trust_of(app).admin.add_user("test", "ada", Role.OPERATOR, "a good password")
    wrong = await client.post("/login", data={"name": "ada", "password": "nope",
                                              "next": "/chargers/CP-1"})
    assert wrong.status_code == 401 and "do not match" in wrong.text
    right = await client.post("/login", data={"name": "ada", "password": "a good password",
                                              "next": "/chargers/CP-1"})
    assert right.status_code == 303 and right.headers["location"] == "/chargers/CP-1"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = await client.get("/chargers/CP-1")
    assert page.status_code == 200 and "ada" in page.text


async def test_the_cookie_is_secure_under_tls(app: Starlette) -> None:
    await trust_of(app).admin.add_user("test", "tls", Role.VIEWER, "a good password")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        right = await client.post("/login", data={"name": "tls", "password": "a good password"})
    assert "secure" in right.headers["set-cookie"].lower()


async def test_login_never_leads_off_the_site(client: httpx.AsyncClient, app: Starlette) -> None:
    await trust_of(app).admin.add_user("test", "ada", Role.VIEWER, "a good password")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await client.post("/login", data={"name": "ada", "password": "a good password",
                                                      "next": target})
        assert response.headers["location"] == "/"


async def test_repeated_failures_back_off(client: httpx.AsyncClient, app: Starlette) -> None:
    await trust_of(app).admin.add_user("test", "ada", Role.VIEWER, "a good password")
    for _ in range(5):
        wrong = await client.post("/login", data={"name": "ada", "password": "guess"})
        assert wrong.status_code == 401
    blocked = await client.post("/login", data={"name": "ada", "password": "a good password"})
    assert blocked.status_code == 429 and "wait" in blocked.text
    other = await client.post("/login", data={"name": "someone-else", "password": "guess"},
                              headers={"x-forwarded-for": "ignored"})
    assert other.status_code == 429  # the same address is backing off too


async def test_logout_ends_the_session(client: httpx.AsyncClient, app: Starlette) -> None:
    await as_role(client, app, "viewer")
    assert (await client.get("/")).status_code == 200
    without_token = await client.post("/logout", headers={CSRF_HEADER: "wrong"})
    assert without_token.status_code == 403
    out = await client.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert COOKIE not in client.cookies
    assert (await client.get("/", headers={"accept": "text/html"})).status_code == 303


async def test_a_new_password_ends_old_sessions(client: httpx.AsyncClient,
                                                app: Starlette) -> None:
    user = await log_in(client, trust_of(app), "viewer")
    assert (await client.get("/api/v1/chargers")).status_code == 200
    await trust_of(app).admin.set_user_password("test", user.name, "another good one")
    assert (await client.get("/api/v1/chargers")).status_code == 401


async def test_a_forged_cookie_is_no_session(client: httpx.AsyncClient, app: Starlette) -> None:
    await as_role(client, app, "admin")
    value = client.cookies[COOKIE]
    client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert (await client.get("/api/v1/chargers")).status_code == 401


async def test_the_first_run_link_makes_the_first_admin_once(
        client: httpx.AsyncClient, app: Starlette) -> None:
    token = trust_of(app).accounts.issue_link(None)
    form = await client.get("/login/first", params={"token": token})
    assert form.status_code == 200 and "Create the first admin" in form.text
    made = await client.post("/login/first", data={"token": token, "name": "root",
                                                   "password": "a long first password"})
    assert made.status_code == 303
    assert (await client.get("/api/v1/audit")).status_code == 200  # an admin, logged in
    again = await client.get("/login/first", params={"token": token})
    assert again.status_code == 303  # a user exists now: the link leads to the login
    replay = await client.post("/login/first", data={"token": token, "name": "mallory",
                                                     "password": "another password"})
    assert replay.status_code == 403
    assert [u.name for u in await trust_of(app).admin.users()] == ["root"]


async def test_a_one_time_link_works_once(client: httpx.AsyncClient, app: Starlette) -> None:
    user = (await trust_of(app).admin.add_user("test", "demo", Role.ADMIN)).user
    assert user is not None
    token = trust_of(app).accounts.issue_link(user.id)
    assert (await client.get("/login/link", params={"token": token})).status_code == 303
    client.cookies.clear()
    assert (await client.get("/login/link", params={"token": token})).status_code == 403


# ---- roles ----------------------------------------------------------------------------------


async def test_a_viewer_sees_no_raw_frames(client: httpx.AsyncClient, app: Starlette) -> None:
    await as_role(client, app, "viewer")
    detail = (await client.get("/api/v1/chargers/CP-1")).json()
    assert "messages" not in detail and detail["active_errors"]
    page = (await client.get("/chargers/CP-1")).text
    assert "Latest raw messages" not in page and "vendorErrorCode" not in page


async def test_an_operator_sees_raw_frames(client: httpx.AsyncClient, app: Starlette) -> None:
    await as_role(client, app, "operator")
    detail = (await client.get("/api/v1/chargers/CP-1")).json()
    assert any("vendorErrorCode" in m["raw"] for m in detail["messages"])
    assert "Latest raw messages" in (await client.get("/chargers/CP-1")).text


@pytest.mark.parametrize(("role", "method", "path", "status"), [
    ("viewer", "POST", "/api/v1/registry/chargers/CP-X/approve", 403),
    ("viewer", "POST", "/api/v1/registry/chargers", 403),
    ("operator", "POST", "/api/v1/registry/chargers", 403),
    ("operator", "POST", "/api/v1/registry/chargers/CP-X/password", 403),
    ("operator", "GET", "/api/v1/audit", 403),
    ("operator", "POST", "/api/v1/registry/chargers/CP-X/approve", 404),
    ("admin", "GET", "/api/v1/audit", 200),
])
async def test_roles_decide_what_one_may_do(client: httpx.AsyncClient, app: Starlette,
                                            role: str, method: str, path: str,
                                            status: int) -> None:
    await as_role(client, app, role)
    response = await client.request(method, path, json={"id": "CP-X"})
    assert response.status_code == status, response.text
    if status >= 400:
        sentence(response)


# ---- CSRF and tokens ----------------------------------------------------------------------


async def test_changes_need_the_sessions_csrf_token(client: httpx.AsyncClient,
                                                    app: Starlette) -> None:
    await trust_of(app).admin.add_charger("test", "CP-NEW", profile=0,
                                          state=Registration.PENDING)
    await as_role(client, app, "operator")
    token = client.headers.pop(CSRF_HEADER)
    path = "/api/v1/registry/chargers/CP-NEW/approve"
    assert (await client.post(path)).status_code == 403
    foreign = await client.post(path, headers={CSRF_HEADER: token,
                                               "origin": "http://evil.example"})
    assert foreign.status_code == 403 and "another site" in sentence(foreign)
    ok = await client.post(path, headers={CSRF_HEADER: token, "origin": "http://testserver"})
    assert ok.status_code == 200 and ok.json()["state"] == "accepted"


async def test_forms_carry_the_token_in_a_field(client: httpx.AsyncClient,
                                                app: Starlette) -> None:
    await trust_of(app).admin.add_charger("test", "CP-NEW", profile=0,
                                          state=Registration.PENDING)
    await as_role(client, app, "operator")
    token = client.headers.pop(CSRF_HEADER)
    board = (await client.get("/")).text
    assert 'action="/registry/CP-NEW/approve"' in board  # the access panel's button
    refused = await client.post("/registry/CP-NEW/approve", data={"next": "/"})
    assert refused.status_code == 403
    done = await client.post("/registry/CP-NEW/approve", data={"csrf_token": token, "next": "/"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert (await trust_of(app).admin.charger("CP-NEW")).state.value == "accepted"


async def test_a_bearer_token_needs_no_csrf_and_can_be_revoked(
        client: httpx.AsyncClient, app: Starlette) -> None:
    trust = trust_of(app)
    await trust.admin.add_charger("test", "CP-NEW", profile=0, state=Registration.PENDING)
    secret = await bearer(trust, "operator")
    auth = {"authorization": f"Bearer {secret}"}
    approved = await client.post("/api/v1/registry/chargers/CP-NEW/approve", headers=auth)
    assert approved.status_code == 200
    (token,) = [t for t in await trust.admin.tokens() if t.label == "tests"]
    assert token.last_used_at is not None
    await trust.admin.revoke_token("test", token.id)
    assert (await client.get("/api/v1/chargers", headers=auth)).status_code == 401
    assert (await client.get("/api/v1/chargers",
                             headers={"authorization": "Bearer evf_made-up"})).status_code == 401


# ---- the registry through the API ---------------------------------------------------------


async def test_an_admin_adds_a_charger_and_sees_its_password_once(
        client: httpx.AsyncClient, app: Starlette) -> None:
    await as_role(client, app, "admin")
    made = await client.post("/api/v1/registry/chargers",
                             json={"id": "CP-NEW", "profile": 2, "generate_password": True})
    assert made.status_code == 201, made.text
    body = made.json()
    assert 16 <= len(body["password"]) <= 40 and body["charger"]["has_password"]
    listed = (await client.get("/api/v1/registry/chargers")).text
    assert body["password"] not in listed and "argon2" not in listed
    twice = await client.post("/api/v1/registry/chargers", json={"id": "CP-NEW", "profile": 0})
    assert twice.status_code == 400 and "already" in sentence(twice)
    short = await client.post("/api/v1/registry/chargers",
                              json={"id": "CP-SHORT", "profile": 1, "password": "short"})
    assert short.status_code == 400 and "16 to 40" in sentence(short)
    audit = (await client.get("/api/v1/audit")).json()["audit"]
    assert ("charger.add", "CP-NEW") in [(a["action"], a["target"]) for a in audit]


async def test_the_registry_page_shows_a_generated_password_once(
        client: httpx.AsyncClient, app: Starlette) -> None:
    await as_role(client, app, "admin")
    token = client.headers[CSRF_HEADER]
    page = await client.post("/registry", data={"csrf_token": token, "id": "CP-PAGE",
                                                "profile": "1"},
                             headers={CSRF_HEADER: ""})
    assert page.status_code == 201
    shown = re.search(r'id="created-password">([^<]+)<', page.text)
    assert shown and 16 <= len(shown.group(1)) <= 40
    assert shown.group(1) not in (await client.get("/registry")).text
