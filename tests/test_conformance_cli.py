"""`evfault check` on the command line: tables, JSON, exit status, and input it cannot read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evfault.cli import _register, app

SAMPLES = Path(__file__).resolve().parent / "samples"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _commands() -> None:
    _register()


def test_the_evgo_samples_pass() -> None:
    result = runner.invoke(app, ["check", str(SAMPLES / "evgo_mrec.jsonl")])
    assert result.exit_code == 0, result.output
    assert "18 messages: every rule passed" in result.output
    assert "mrec-threshold" in result.output  # the summary lists every rule


def test_a_failing_rule_fails_the_run_and_names_the_line() -> None:
    result = runner.invoke(app, ["check", str(SAMPLES / "broken" / "mrec-status.jsonl")])
    assert result.exit_code == 1
    assert "mrec-status" in result.output
    assert "1 rule(s) failed" in result.output
    flat = " ".join(result.output.replace("│", " ").split())  # the table wraps long messages
    assert "F001 expects status Finishing; the charger reported Faulted" in flat


def test_warnings_alone_do_not_fail_the_run() -> None:
    path = SAMPLES / "broken" / "mrec-specific-error-code.jsonl"
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0
    assert "warned" in result.output


def test_json_for_programs() -> None:
    result = runner.invoke(app, ["check", str(SAMPLES / "broken" / "frame.jsonl"), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    frame = next(r for r in report["rules"] if r["id"] == "frame")
    assert frame["fail"] == report["messages"]
    assert all(f["rule"] == "frame" and f["result"] == "fail" for f in report["findings"])


def test_standard_input() -> None:
    line = (SAMPLES / "evgo_mrec.jsonl").read_text().splitlines()[0]
    result = runner.invoke(app, ["check", "-", "--json"], input=line + "\n")
    assert result.exit_code == 0
    assert json.loads(result.output)["messages"] == 1


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "There is no file"), (b"", "holds no OCPP-J frames"),
     (b"  \n# a comment, no frame\n", "holds no OCPP-J frames")],
)
def test_unreadable_input_is_one_sentence(tmp_path: Path, content: bytes | None, says: str
                                          ) -> None:
    path = tmp_path / "charger.log"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and result.output.startswith("evfault: ")  # one sentence
    assert says in result.output


def test_no_traceback_from_the_real_command(tmp_path: Path) -> None:
    missing = tmp_path / "missing.log"
    done = subprocess.run([sys.executable, "-m", "evfault", "check", str(missing)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "There is no file" in done.stderr
