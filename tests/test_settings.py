"""Settings are declared once: the table drives the options, the environment, checks and docs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import typer.main

from evfault.cli import _register, app
from evfault.settings import TABLE, Settings, SettingsError, from_env, render_docs

ROOT = Path(__file__).resolve().parents[1]


def evfault(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, as a person runs it (no terminal attached)."""
    return subprocess.run([sys.executable, "-m", "evfault", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "80", **(env or {})})


def command(name: str) -> Any:
    _register()
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def test_the_docs_page_is_what_the_table_says() -> None:
    written = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert written == render_docs(), "run `python -m evfault.settings` to rewrite docs/settings.md"


def test_every_setting_is_in_the_docs_with_its_env_and_default() -> None:
    page = render_docs()
    for one in TABLE:
        assert f"`{one.option}` | `{one.env}` | `{one.shown_default}`" in page


@pytest.mark.parametrize("name", ["serve", "demo"])
def test_serve_and_demo_take_every_setting_once(name: str) -> None:
    options = [o for p in command(name).params for o in p.opts]
    for one in TABLE:
        assert options.count(one.option) == 1, one.option


def test_the_table_is_the_dataclass() -> None:
    assert [s.name for s in TABLE] == [f.name for f in fields(Settings)]
    assert Settings() == Settings(**{s.name: s.default for s in TABLE})


def test_commit_interval_is_gone_because_nothing_read_it() -> None:
    assert "commit_interval" not in {s.name for s in TABLE}


def test_environment_values_are_parsed_and_checked() -> None:
    parsed = from_env({"EVFAULT_PORT": "8181", "EVFAULT_REQUIRE_SUBPROTOCOL": "yes",
                       "EVFAULT_OFFLINE_GRACE": "2.5"})
    assert (parsed.port, parsed.require_subprotocol, parsed.offline_grace) == (8181, True, 2.5)
    with pytest.raises(SettingsError, match="EVFAULT_PORT must be a whole number, not 'x'"):
        from_env({"EVFAULT_PORT": "x"})
    with pytest.raises(SettingsError, match="from 0 to 65535, not 70000"):
        from_env({"EVFAULT_PORT": "70000"})


@pytest.mark.parametrize("value", [-1, 65536, 99999])
def test_a_port_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(SettingsError, match=r"--port \(EVFAULT_PORT\) must be from 0 to 65535"):
        Settings(port=value)


def test_choices_are_checked() -> None:
    with pytest.raises(SettingsError, match="debug, info, warning or error, not 'loud'"):
        Settings(log_level="loud")


@pytest.mark.parametrize(("args", "env", "words"), [
    (["serve", "--port", "99999"], {}, "--port (EVFAULT_PORT) must be from 0 to 65535"),
    (["serve", "--port", "-1"], {}, "--port (EVFAULT_PORT) must be from 0 to 65535"),
    (["serve"], {"EVFAULT_PORT": "-1"}, "must be from 0 to 65535, not -1"),
    (["demo", "--offline-grace", "-3"], {}, "--offline-grace (EVFAULT_OFFLINE_GRACE) must be"),
    (["serve", "--unknown-chargers", "maybe"], {}, "accept, pending or reject, not 'maybe'"),
])
def test_a_bad_setting_is_one_sentence(args: list[str], env: dict[str, str], words: str) -> None:
    done = evfault(*args, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"evfault: {done.stderr.strip()[9:]}"]
    assert words in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_check_and_chargers_share_the_one_db_option() -> None:
    for name in ("check", "chargers"):
        found = command(name)
        one = found.commands["list"] if hasattr(found, "commands") else found
        db = next(p for p in one.params if "--db" in p.opts)
        assert db.envvar == "EVFAULT_DB"
        assert db.default == Settings().db


def test_help_fits_80_columns_and_shows_every_default() -> None:
    done = evfault("serve", "--help")
    assert done.returncode == 0
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    flat = " ".join(done.stdout.split())
    for one in TABLE:
        assert f"[default: {one.shown_default}]" in flat, one.name
        assert one.env in flat.replace(" ", ""), one.name


def test_version() -> None:
    done = evfault("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("evfault ") and len(done.stdout.splitlines()) == 1


def test_every_command_is_found_without_loading_the_others() -> None:
    """A command missing from LAZY_COMMANDS still runs, but loads every module to be found."""
    from evfault.cli import LAZY_COMMANDS, _all_commands, _commands_of

    assert set(_all_commands()) == set(LAZY_COMMANDS)
    for name, module in LAZY_COMMANDS.items():
        assert name in _commands_of(module), (name, module)


def test_make_demo_installs_only_the_runtime_and_takes_a_port(tmp_path: Path) -> None:
    """make demo: no pytest, mypy or playwright (hundreds of MB); make test adds them."""
    venv = tmp_path / "venv"
    done = subprocess.run(["make", "-n", "demo", "PORT=8181", f"VENV={venv}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    installs = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert installs and not any("[dev]" in line for line in installs), installs
    assert f"{venv}/bin/evfault demo --port 8181" in done.stdout
    tests = subprocess.run(["make", "-n", "unit", f"VENV={venv}"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60, check=True)
    assert "-e '.[dev]'" in tests.stdout
