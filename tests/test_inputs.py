"""`evfault decode` and `evfault check` read the same inputs: one frame per line, a message
pretty-printed over several lines (as the MREC specifications print them), a JSON array of
messages, .gz, and log prefixes; a damaged .gz is one sentence. `check --charger` never creates
a database."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from evfault.cli import _register, app
from evfault.decode import frames
from evfault.decode.logs import messages

runner = CliRunner()

FRAME = [2, "12345", "StatusNotification", {
    "connectorId": 1, "errorCode": "OtherError", "info": "1.11,5.00", "status": "Finishing",
    "timestamp": "2022-06-10T14:51:17Z", "vendorId": "com.evgo.mrec",
    "vendorErrorCode": "F001,F003"}]
BOOT = [2, "7", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22"}]
ONE_LINE = orjson.dumps(FRAME).decode()
# As the EVgo MREC document prints its sample message.
PRETTY = json.dumps(FRAME, indent=2)
PREFIXED = f"2024-05-01T10:00:00Z CP-17 <- {ONE_LINE}"
ARRAY = orjson.dumps([FRAME, BOOT]).decode()


@pytest.fixture(autouse=True)
def _commands() -> None:
    _register()


def decoded_codes(path: Path) -> list[list[str]]:
    result = runner.invoke(app, ["decode", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return [[f["code"] for f in json.loads(line)["faults"]] for line in result.stdout.splitlines()]


def checked(path: Path) -> dict[str, object]:
    result = runner.invoke(app, ["check", "--json", str(path)])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize(
    ("layout", "text", "expected"),
    [
        ("one per line", f"{ONE_LINE}\n{ONE_LINE}\n", [["F001", "F003"]] * 2),
        ("pretty-printed", f"{PRETTY}\n\n{PRETTY}\n", [["F001", "F003"]] * 2),
        ("log prefixes", f"{PREFIXED}\n# a comment\n{PREFIXED}\n", [["F001", "F003"]] * 2),
        ("a JSON array", ARRAY, [["F001", "F003"], []]),
        ("an indented JSON array", json.dumps([FRAME, BOOT], indent=4), [["F001", "F003"], []]),
    ],
)
@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gz"])
def test_decode_and_check_read_the_same_messages(
    tmp_path: Path, layout: str, text: str, expected: list[list[str]], gzipped: bool
) -> None:
    path = tmp_path / ("log.gz" if gzipped else "log.txt")
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    assert decoded_codes(path) == expected
    report = checked(path)
    assert report["messages"] == len(expected)
    assert not [f for f in report["findings"]  # type: ignore[attr-defined]
                if f["rule"] == "frame" and f["result"] != "pass"]


def test_a_pretty_printed_message_keeps_the_line_it_starts_on() -> None:
    lines = ["# sample", *PRETTY.splitlines(), "", ONE_LINE]
    found = list(messages(lines))
    assert [number for number, _ in found] == [2, 2 + len(PRETTY.splitlines()) + 1]
    assert orjson.loads(found[0][1]) == FRAME


def test_brackets_inside_strings_do_not_end_a_message() -> None:
    tricky = [2, "1", "DataTransfer", {"vendorId": "x", "data": "a ] } [ { \\\" quote"}]
    text = json.dumps(tricky, indent=2)
    ((_, found),) = list(messages(text.splitlines()))
    assert orjson.loads(found) == tricky


def test_a_message_cut_short_is_handed_on_and_reported() -> None:
    lines = ['[2,"1","StatusNotification",{', '"connectorId": 1,']
    ((number, text),) = list(messages(lines))
    assert number == 1 and text.startswith("[2")
    result = runner.invoke(app, ["check", "-"], input="\n".join(lines))
    assert result.exit_code == 1 and "frame" in result.output


@given(st.lists(st.text(max_size=40), max_size=30))
def test_any_text_is_split_without_losing_a_frame_line(lines: list[str]) -> None:
    """Whatever surrounds it, a whole frame on its own line comes out as one message."""
    found = list(messages([*lines, "", ONE_LINE]))
    assert all(isinstance(n, int) and isinstance(t, str) for n, t in found)
    assert found[-1] == (len(lines) + 2, ONE_LINE)


def test_a_stray_bracket_does_not_swallow_the_next_frame() -> None:
    found = list(messages(["CP-1 -> [2,\"1\",\"Heart", ONE_LINE]))
    assert [n for n, _ in found] == [1, 2] and found[1][1] == ONE_LINE
    assert frames.find_json(found[0][1]) is None


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"[2,\"1\",\"Heartbeat\",{}]\n", "not gzip-compressed"),
     (gzip.compress(ONE_LINE.encode() * 200)[:60], "damaged or truncated gzip")],
    ids=["not gzip", "truncated"],
)
@pytest.mark.parametrize("command", ["decode", "check"])
def test_a_bad_gz_is_one_sentence(tmp_path: Path, content: bytes, says: str, command: str
                                  ) -> None:
    path = tmp_path / "charger.log.gz"
    path.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "evfault", command, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and says in done.stderr


def test_check_charger_without_db_creates_no_database(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVFAULT_DB", raising=False)
    result = runner.invoke(app, ["check", "--charger", "CP-1"])
    assert result.exit_code == 2 and result.output.startswith("evfault: ")
    assert "no database" in result.output
    assert list(tmp_path.iterdir()) == []
