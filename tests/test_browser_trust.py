"""Login and its protections in a real headless Chromium, against a real server on port 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from accounts import login_link, user
from chargers import boot16, charger16, send_status16
from evfault.ocpp.admission import Registration
from test_browser_support import (
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
    wait_live,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium,
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@pytest.fixture
async def evil_site() -> AsyncIterator[Any]:
    """Another site, on its own port: its page posts a form to evfault as soon as it loads."""
    sites: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(target: str) -> str:
        html = (f'<form id="f" method="post" action="{target}">'
                '<input type="hidden" name="next" value="/"></form>'
                "<script>document.getElementById('f').submit()</script>")

        async def page(request: Any) -> HTMLResponse:
            return HTMLResponse(html)

        config = uvicorn.Config(Starlette(routes=[Route("/", page)]), host="127.0.0.1",
                                port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.01)
        sites.append((server, task))
        return f"http://localhost:{server.servers[0].sockets[0].getsockname()[1]}/"

    yield start
    for server, task in sites:
        server.should_exit = True
        await task


async def test_the_dashboard_asks_for_a_login_first(start_server: Any, browser: Any) -> None:
    server = await start_server()
    person = await user(server, "operator")
    page, watch = await open_page(browser, server.address.http + "/")
    assert "/login?next=%2F" in page.url
    await page.fill('input[name="name"]', person.name)
    await page.fill('input[name="password"]', "a wrong password")
    await page.click('#login-form button[type="submit"]')
    assert "do not match" in await page.inner_text("#login-error")
    await page.fill('input[name="password"]', "correct horse battery")
    await page.click('#login-form button[type="submit"]')
    await page.wait_for_url(server.address.http + "/")
    await wait_live(page)  # the live stream is open: the session cookie reached it too
    assert person.name in await page.inner_text("#whoami")
    await page.click('#whoami button[type="submit"]')  # log out
    await page.wait_for_url("**/login")
    await page.goto(server.address.http + "/chargers/ANY")
    assert "/login?next=" in page.url
    # The one complaint: the page answering the wrong password has status 401, as it should.
    assert [p for p in watch.problems if "status of 401" not in p] == []
    assert len(watch.problems) <= 1


async def test_a_viewer_sees_no_raw_frames(start_server: Any, browser: Any) -> None:
    server = await start_server()
    async with charger16(server.address.ocpp, "CP-TAGS") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="GroundFailure", status="Faulted")
    page, watch = await open_page(browser, await login_link(server, "/chargers/CP-TAGS",
                                                            "viewer"))
    await wait_live(page)
    main = await page.inner_text("main")
    assert "GroundFailure" in main  # the fault itself is shown
    assert "Latest raw messages" not in main and "BootNotification" not in main
    operator, _ = await open_page(browser, await login_link(server, "/chargers/CP-TAGS"))
    await wait_live(operator)
    assert "BootNotification" in await operator.inner_text("#messages")
    assert watch.problems == []


async def test_a_cross_site_form_post_is_refused(start_server: Any, browser: Any,
                                                 evil_site: Any) -> None:
    server = await start_server(unknown_chargers="pending")
    await server.trust.admin.add_charger("test", "CP-WAIT", profile=0,
                                         state=Registration.PENDING)
    page, _ = await open_page(browser, await login_link(server, "/"))
    await page.wait_for_selector('#pending-list li[data-id="CP-WAIT"]')
    attacker = await evil_site(f"{server.address.http}/registry/CP-WAIT/approve")
    async with page.expect_navigation(url=f"{server.address.http}/registry/**") as landed:
        await page.goto(attacker)
    response = await landed.value
    assert response is not None and response.status == 403
    assert "another site" in await page.inner_text("main")
    assert (await server.trust.admin.charger("CP-WAIT")).state is Registration.PENDING
    # The same button on evfault's own page works: it carries the session's token.
    await page.goto(server.address.http + "/")
    await page.click('#pending-list li[data-id="CP-WAIT"] button:has-text("Approve")')
    await page.wait_for_url(server.address.http + "/")
    assert (await server.trust.admin.charger("CP-WAIT")).state is Registration.ACCEPTED


async def test_help_pages_work_logged_out(start_server: Any, browser: Any) -> None:
    server = await start_server()
    page, watch = await open_page(browser, server.address.http + "/help")
    await page.fill('input[name="q"]', "F001")
    await page.press('input[name="q"]', "Enter")
    await page.wait_for_url("**/help/evgo-mrec/F001")
    assert await page.get_by_role("heading", name="What to do next").is_visible()
    links = await page.eval_on_selector_all("a[href]",
                                            "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in links if h in ("/", "/registry", "/docs") or h.startswith("/chargers")]
    assert watch.problems == []
