"""A real NATS server for the multi-node tests: the one at 127.0.0.1:4222, or one of our own.

`.ci/run` starts nats-server when none answers; a developer's machine may have none running,
so `nats_url` then starts `nats-server` on a free port for the test and stops it after. Where
there is no nats-server at all the tests skip (in CI: fail).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

DEFAULT = ("127.0.0.1", 4222)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=10):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    if answers(*DEFAULT):
        yield "nats://127.0.0.1:4222"
        return
    binary = shutil.which("nats-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the multi-node tests, but there is no nats-server")
        pytest.skip("no NATS server at 127.0.0.1:4222 and no nats-server to start")
    port = free_port()
    process = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not answers("127.0.0.1", port):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("nats-server did not start")
            time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
