"""Settings for a real evfault server in tests: port 0 and short timers.

Tests import this by its bare name (`from server_support import FAST`), never from `conftest`:
tests/scan has a conftest.py of its own, and once pytest has collected that directory the name
`conftest` means that one, so `from conftest import FAST` broke collection of the whole suite.
"""

from __future__ import annotations

from typing import Any

FAST: dict[str, Any] = {
    "port": 0,
    "offline_grace": 0.4,
    "reboot_window": 0.4,
    "heartbeat_interval": 60,
    "log_level": "warning",
    # The demo's policy: tests of the charger side meet unregistered chargers; the trust
    # tests choose pending or reject themselves.
    "unknown_chargers": "accept",
    # A test's own blocking work must not make its boots Pending (test_storm_backpressure
    # turns the back-pressure on).
    "boot_defer_lag": 0.0,
    # Likewise every RFID tag; tests/test_tags.py checks the allow-list and `reject`.
    "unknown_tags": "accept",
}
