"""Runs every scan test again in a network namespace of its own: nothing may be downloaded."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import HERE, OFFLINE_ENV, can_cut_network, offline_here

pytestmark = pytest.mark.slow


@pytest.mark.skipif(offline_here(), reason="this is the offline run")
def test_scan_tests_pass_with_the_network_cut() -> None:
    if not can_cut_network():
        pytest.skip("unshare -n is not permitted here: the scan tests ran with the network on")
    root = HERE.parent.parent
    run = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(root), str(HERE)],
        capture_output=True, text=True, cwd=root,
        env={**os.environ, OFFLINE_ENV: "1", "ORT_DISABLE_TELEMETRY": "1"},
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
