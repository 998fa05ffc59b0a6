"""`evfault demo`, as the README tells a new user to run it: live errors within a minute."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def get_json(opener: urllib.request.OpenerDirector, url: str) -> dict[str, object]:
    with opener.open(url, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_demo_shows_errors_within_a_minute_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen([sys.executable, "-m", "evfault", "demo", "--port", "0"],
                               stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    try:
        banner = "".join(process.stdout.readline() for _ in range(3))
        found = re.search(r"Dashboard\s+((http://[^/\s]+)/login/link\?token=\S+)", banner)
        assert found, banner
        link, base = found.group(1), found.group(2)
        # The printed link is already logged in: following it once gives a session.
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(link, timeout=5) as page:
            assert page.url == f"{base}/" and "Error notifications" in page.read().decode()
        deadline = time.monotonic() + 60
        errors: list[object] = []
        while not errors and time.monotonic() < deadline:
            time.sleep(1)
            listing = get_json(browser, f"{base}/api/v1/errors/active")
            errors = listing["errors"]  # type: ignore[assignment]
        assert errors, "no error showed up on the dashboard within 60 s"
        with pytest.raises(urllib.error.HTTPError) as refused:  # not without the session
            urllib.request.urlopen(f"{base}/api/v1/errors/active", timeout=5)
        assert refused.value.code == 401
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "evfault demo stopped." in out
    finally:
        if process.poll() is None:
            process.kill()
