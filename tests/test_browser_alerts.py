"""The alerts page in a real headless Chromium: an operator sees a failed alert on the
dashboard, opens the outbox and sends it again once the receiver is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accounts import login_link
from alert_support import WebhookReceiver
from chargers import boot16, charger16, send_status16
from test_alerts_e2e import SECRET, alert_settings, eventually, outbox_has, rules_file
from test_browser_support import (
    SCREENSHOTS,
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium,
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


async def test_an_operator_sends_a_failed_alert_again(start_server: Any, browser: Any,
                                                      tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    port = receiver.port
    receiver.close()  # down: the one attempt allowed fails
    await receiver.server.wait_closed()  # type: ignore[union-attr]
    rules = rules_file(tmp_path, f"{{webhook: '{receiver.url}'}}", after="0s", resolved=False)
    server = await start_server(**alert_settings(rules, alert_attempts=1))
    try:
        async with charger16(server.address.ocpp, "CP-OUTBOX") as cp:
            await boot16(cp)
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            await outbox_has(server, "failed", 1)
        page, watch = await open_page(browser, await login_link(server, "/"))
        await page.wait_for_selector("#alerts-tile")
        assert await page.inner_text("#alerts-failed") == "1"
        await page.click("#alerts-tile a.tile-link")
        await page.wait_for_url("**/alerts")
        row = page.locator('#alerts-table tr[data-state="failed"]')
        assert "CP-OUTBOX" in await row.inner_text()
        problem = await row.locator('td[data-label="Last problem"]').inner_text()
        assert problem.startswith("webhook ")  # why the attempt failed
        await receiver.start(port)  # the receiver is back
        await row.locator("button").click()
        await page.wait_for_url("**/alerts?state=pending")
        await eventually(lambda: receiver.deliveries)
        [delivery] = receiver.deliveries
        assert delivery.signed and delivery.body["charger_id"] == "CP-OUTBOX"
        await outbox_has(server, "sent", 1)
        await page.goto(server.address.http + "/alerts?state=sent")
        assert "CP-OUTBOX" in await page.inner_text('#alerts-table tr[data-state="sent"]')
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.goto(server.address.http + "/alerts")
        await page.screenshot(path=str(SCREENSHOTS / "alerts.png"), full_page=True)
        assert watch.problems == [] and watch.dialogs == []
    finally:
        receiver.close()
