"""The charger page's command buttons and the popover's one-click steps.

Over HTTP with a login session (forms carry the CSRF token), then in a real headless Chromium:
an operator confirms a hard reset and an obedient charger (the `ocpp` package's ChargePoint)
receives it; the red marker's popover offers the steps the code recommends as buttons.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from accounts import login_link
from chargers import boot16, send_status16
from evfault.auth.sessions import CSRF_HEADER
from obedient import obedient
from test_browser_support import (
    CHROMIUM_ARGS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    wait_live,
)
from test_web_support import log_in

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def session(server: Any, role: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.address.http, timeout=60)
    await log_in(client, server.trust, role)
    del client.headers[CSRF_HEADER]  # the forms carry it themselves
    return client


async def test_operators_get_buttons_that_send_and_show_the_answer(start_server: Any) -> None:
    server = await start_server()
    async with obedient(server.address.ocpp, "CP-UI", "1.6") as cp:
        await boot16(cp)
        await send_status16(cp, status="Faulted", errorCode="InternalError")
        operator = await session(server, "operator")
        viewer = await session(server, "viewer")
        try:
            html = (await operator.get("/chargers/CP-UI")).text
            assert 'id="commands"' in html and "Soft reset" in html and "Hard reset" in html
            assert 'class="command-form step-action"' in html  # InternalError: "soft reset"
            token = CSRF_FIELD.search(html)
            assert token is not None
            sent = await operator.post("/chargers/CP-UI/commands", data={
                "csrf_token": token.group(1), "command": "reset", "arg.type": "hard"})
            assert sent.status_code == 303
            assert cp.received == [("Reset", {"type": "Hard"})]
            page = (await operator.get(sent.headers["location"])).text
            assert 'id="command-result"' in page and "reset to CP-UI: accepted" in page
            forged = await operator.post("/chargers/CP-UI/commands", data={
                "csrf_token": "wrong", "command": "reset"})
            assert forged.status_code == 403
            seen = (await viewer.get("/chargers/CP-UI")).text
            assert "command-form" not in seen and 'id="commands"' not in seen
            refused = await viewer.post("/chargers/CP-UI/commands", data={
                "csrf_token": CSRF_FIELD.search(html).group(1), "command": "reset"})  # type: ignore[union-attr]
            assert refused.status_code == 403
        finally:
            await operator.aclose()
            await viewer.aclose()
    assert len(cp.received) == 1


@pytest.mark.browser
@needs_chromium
async def test_a_confirmed_click_resets_the_charger(start_server: Any, browser: Any) -> None:
    server = await start_server()
    async with obedient(server.address.ocpp, "CP-CLICK", "1.6") as cp:
        await boot16(cp)
        await send_status16(cp, status="Faulted", errorCode="InternalError")
        context = await browser.new_context()
        page = await context.new_page()
        problems: list[str] = []
        dialogs: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        async def answer(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await (dialog.dismiss() if len(dialogs) == 1 else dialog.accept())

        page.on("dialog", answer)
        await page.goto(await login_link(server, "/chargers/CP-CLICK"))
        await wait_live(page)
        hard = page.locator("#command-buttons form.danger button").first
        await hard.click()  # the first confirmation is dismissed: nothing is sent
        await asyncio.sleep(0.3)
        assert cp.received == [] and "CP-CLICK" in dialogs[0]
        await hard.click()  # the second is accepted
        await page.wait_for_selector("#command-result", timeout=30_000)
        assert cp.received == [("Reset", {"type": "Hard"})]
        assert "accepted" in await page.inner_text("#command-result")
        await wait_live(page)
        # The red marker's popover: the code's "soft reset" step is a button (it survives the
        # page's live updates, which rebuild the connectors).
        await page.click("#connectors details.marker summary")
        step = page.locator("#connectors .popover form.step-action button").first
        assert "Soft reset" in await step.inner_text()
        await step.click()
        await page.wait_for_url("**sent=**", timeout=30_000)
        assert cp.received[-1] == ("Reset", {"type": "Soft"})
        assert problems == []
        await context.close()
    assert CHROMIUM_ARGS  # the support module's launch options were used
