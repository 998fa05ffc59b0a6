"""What the operator pages say in a real browser: times in the operator's zone, and on a phone
the notifications before a long table that comes a page at a time."""

from __future__ import annotations

from typing import Any

import pytest

from evfault.settings import Settings
from evfault.store.model import ChargerUpdate, WriteBatch
from evfault.tracking.model import ConnectivityChange
from test_browser_dashboard import minutes_ago, serve, showcase_fleet  # noqa: F401 - fixture
from test_browser_support import (
    browser_fixture,  # noqa: F401 - provides the `browser` fixture
    needs_chromium,
    open_page,
    wait_live,
)

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_times_are_shown_in_the_browsers_zone(serve: Any, browser: Any,  # noqa: F811
                                                    sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    page, watch = await open_page(browser, await live.login("/chargers/DEN-HQ-01"),
                                  timezone_id="Asia/Tokyo")
    await wait_live(page)
    shown = await page.locator("time.clock").first.inner_text()
    assert shown.endswith(("GMT+9", "JST")), shown
    assert watch.problems == []


async def test_the_time_zone_setting_wins_over_the_browsers(serve: Any, browser: Any,  # noqa: F811
                                                            sqlite_url: str) -> None:
    live = await serve(sqlite_url, showcase_fleet())
    live.services.settings = Settings(db=sqlite_url, time_zone="America/New_York")
    page, watch = await open_page(browser, await live.login("/chargers/DEN-HQ-01"),
                                  timezone_id="Asia/Tokyo")
    await wait_live(page)
    shown = await page.locator("time.clock").first.inner_text()
    assert shown.endswith(("EST", "EDT", "GMT-5", "GMT-4")), shown
    assert watch.problems == []


def big_fleet() -> WriteBatch:
    batch = showcase_fleet()
    for n in range(40):
        batch.chargers.append(ChargerUpdate(f"ZZ-{n:03d}", last_seen=minutes_ago(1),
                                            vendor="ABB", model="Terra 184", online=True))
    batch.chargers.append(ChargerUpdate("ZZ-OFF", last_seen=minutes_ago(30), online=False))
    batch.connectivity.append(ConnectivityChange("ZZ-OFF", False, minutes_ago(29), "silent"))
    return batch


async def test_a_phone_shows_notifications_first_and_pages_the_table(
        serve: Any, browser: Any, sqlite_url: str) -> None:  # noqa: F811
    live = await serve(sqlite_url, big_fleet())
    page, watch = await open_page(browser, await live.login("/"),
                                  viewport={"width": 390, "height": 844}, is_mobile=True)
    await wait_live(page)
    notices = await page.locator("#notices-tile").bounding_box()
    errors = await page.locator("#errors-tile").bounding_box()
    points = await page.locator("#points-tile").bounding_box()
    assert notices and errors and points
    assert notices["y"] < errors["y"] < points["y"]
    rows = page.locator("#points-body tr:not([hidden])")
    more = page.locator("#points-table-more")
    await more.wait_for(timeout=5000)
    assert await rows.count() == 15
    total = await page.locator("#points-body tr").count()
    assert f"({total - 15} not shown)" in await more.inner_text()
    await more.click()
    assert await rows.count() == min(total, 30)
    assert watch.problems == []
