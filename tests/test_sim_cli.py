"""`evfault simulate` on the command line, against a central system in a background thread."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evfault.cli import _register, app
from test_sim_csms import CentralSystem, central_system

runner = CliRunner()
QUIET = "chargers: 2\nheartbeat: 0\nramp: 1000\nsessions: null\nconnectors: 1\n"


@pytest.fixture(autouse=True)
def _commands() -> None:
    _register()


@contextmanager
def csms_thread() -> Iterator[CentralSystem]:
    """A central system on its own event loop, so the CLI can run its own in the test's."""
    ready = threading.Event()
    box: dict[str, object] = {}
    loop = asyncio.new_event_loop()

    async def serve() -> None:
        stop = asyncio.Event()
        async with central_system() as cs:
            box["cs"], box["stop"] = cs, stop
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        system = box["cs"]
        assert isinstance(system, CentralSystem)
        yield system
    finally:
        stop = box["stop"]
        assert isinstance(stop, asyncio.Event)
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_simulate_runs_a_fleet_and_prints_its_counters(tmp_path: Path) -> None:
    plan = tmp_path / "quiet.yaml"
    plan.write_text(QUIET)
    with csms_thread() as cs:
        result = runner.invoke(app, [
            "simulate", "--url", cs.url, "--scenario", str(plan), "--chargers", "3",
            "--prefix", "CLI-", "--protocol", "2.0.1", "--duration", "0.6", "--seed", "4",
            "--json", "--quiet"])
        assert result.exit_code == 0, result.output
        counters = json.loads(result.output)
        assert counters["chargers"] == 3 and counters["connects"] == 3
        assert counters["by_action"]["BootNotification"] == 3
        assert sorted(cs.frames) == ["CLI-001", "CLI-002", "CLI-003"]
        assert all(cs.calls(c, "BootNotification")[0].get("reason") == "PowerUp"
                   for c in cs.frames)  # --protocol 2.0.1 took effect


def test_simulate_prints_a_table_for_people(tmp_path: Path) -> None:
    plan = tmp_path / "quiet.yaml"
    plan.write_text(QUIET)
    with csms_thread() as cs:
        result = runner.invoke(app, ["simulate", "--url", cs.url, "--scenario", str(plan),
                                     "--duration", "0.5"])
    assert result.exit_code == 0, result.output
    assert "Simulated fleet" in result.output and "latency p99" in result.output


def test_nothing_listening_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = tmp_path / "quiet.yaml"
    plan.write_text(QUIET)
    result = runner.invoke(app, ["simulate", "--url", f"ws://127.0.0.1:{port}/ocpp",
                                 "--scenario", str(plan), "--duration", "0.5", "--quiet"])
    assert result.exit_code == 2 and result.output.startswith("evfault: ")  # one sentence
    assert "no charger could connect" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [(["--url", "http://localhost:8180/ocpp"], "ws:// or wss://"),
     (["--url", "ws://127.0.0.1:1/ocpp", "--scenario", "no-such-scenario"], "no scenario"),
     (["--url", "ws://127.0.0.1:1/ocpp", "--protocol", "1.5"], "protocol must be")],
)
def test_bad_options_are_one_sentence(args: list[str], says: str) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 2 and result.output.startswith("evfault: ")  # one sentence
    assert says in result.output
