"""The scan tests run with the network cut, so a model download at run time fails the build.

Collected in an ordinary run, every test here is set aside and `test_offline.py` runs this whole
folder again in a fresh network namespace (`unshare -n`), where no address outside the process
can be reached. Where `unshare` is not permitted, the tests run in place, and that test says so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
OFFLINE_ENV = "EVFAULT_SCAN_OFFLINE"


def offline_here() -> bool:
    """Whether this process already runs in the cut-off namespace."""
    return os.environ.get(OFFLINE_ENV) == "1"


def can_cut_network() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if offline_here() or not can_cut_network():
        return
    later = pytest.mark.skip(reason="run again with the network cut by tests/scan/test_offline.py")
    for item in items:
        if item.path.parent == HERE and item.path.name != "test_offline.py":
            item.add_marker(later)
