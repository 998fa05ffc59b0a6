"""`evfault demo`, as the README tells a new user to run it: live errors within a minute."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_demo_shows_errors_within_a_minute_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen([sys.executable, "-m", "evfault", "demo", "--port", "0"],
                               stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    try:
        banner = "".join(process.stdout.readline() for _ in range(3))
        found = re.search(r"Dashboard\s+(http://\S+)/", banner)
        assert found, banner
        base = found.group(1)
        deadline = time.monotonic() + 60
        errors: list[object] = []
        while not errors and time.monotonic() < deadline:
            time.sleep(1)
            errors = get_json(f"{base}/api/v1/errors/active")["errors"]  # type: ignore[assignment]
        assert errors, "no error showed up on the dashboard within 60 s"
        with urllib.request.urlopen(f"{base}/", timeout=5) as page:
            assert "Error notifications" in page.read().decode()
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "evfault demo stopped." in out
    finally:
        if process.poll() is None:
            process.kill()
