"""`evfault decode`: files and stdin, readable and JSON Lines output, streaming, bad paths."""

from __future__ import annotations

import ast
import gzip
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import evfault.cli
from evfault.cli import decode_cmd
from evfault.decode import decode_text
from evfault.decode.export import decoded_to_dict, fault_to_dict

SAMPLES = Path(__file__).resolve().parent / "samples"
EVGO = SAMPLES / "evgo_mrec.jsonl"
CHARGEX = SAMPLES / "chargex_mrec.jsonl"
DECODE_PACKAGE = Path(decode_cmd.__file__).resolve().parent.parent / "decode"


@pytest.fixture
def runner() -> CliRunner:
    evfault.cli._register()
    return CliRunner()


def invoke(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(evfault.cli.app, ["decode", *args], input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_readable_output_names_codes_titles_and_readings(runner: CliRunner) -> None:
    code, out = invoke(runner, str(EVGO))
    assert code == 0
    first = out.split("line 2:")[0]
    assert "line 1: StatusNotification (OCPP 1.6)" in first
    assert "evgo-mrec:F001  Proximity voltage too low  1.11 VDC" in first
    assert "evgo-mrec:F003" in first and "5.00 VDC" in first
    assert sum(1 for line in out.splitlines() if line.startswith("line ")) == 18


def test_readable_output_shows_clears_and_warnings(runner: CliRunner) -> None:
    lines = [
        '{"connectorId":2,"errorCode":"NoError","status":"Available"}',
        CHARGEX.read_text().splitlines()[6],
    ]
    code, out = invoke(runner, "-", stdin="\n".join(lines) + "\n")
    assert code == 0
    assert "cleared  every error on connector 2 (NoError)" in out
    assert "cleared  chargex-mrec:CX019" in out
    assert "warning  [timestamp-format]" in out


def test_json_lines_one_object_per_input_line(runner: CliRunner) -> None:
    text = EVGO.read_text()
    code, out = invoke(runner, "-", "--json", stdin=text)
    assert code == 0
    records = [orjson.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in records] == list(range(1, 19))
    first = records[0]
    assert [(f["scheme"], f["code"], f["reading"]) for f in first["faults"]] == [
        ("evgo-mrec", "F001", {"value": 1.11, "unit": "VDC"}),
        ("evgo-mrec", "F003", {"value": 5.0, "unit": "VDC"}),
    ]
    assert first["cleared"] == [] and first["warnings"] == []
    assert records[16]["faults"][0]["connector_id"] == 0  # A004: the whole charger


def test_json_lines_carry_warnings_and_keep_line_numbers_across_blanks(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "log.txt"
    path.write_text("\n" + CHARGEX.read_text().splitlines()[0] + "\n\n garbage \n")
    code, out = invoke(runner, str(path), "--json")
    records = [orjson.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["line"] for r in records] == [2, 4]
    assert records[0]["warnings"][0]["rule"] == "timestamp-format"
    assert records[0]["faults"][0]["error_code"] == "UnderVoltage"
    assert records[1]["warnings"][0]["rule"] == "frame"  # the one rule set: what `check` calls it


def test_gzip_logs_are_read(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(EVGO.read_text())
    code, out = invoke(runner, str(path), "--json")
    assert code == 0 and len(out.splitlines()) == 18


def test_missing_file_is_a_user_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(evfault.cli.app, ["decode", str(tmp_path / "nope.log")])
    assert result.exit_code == 2 and result.output.startswith("evfault: ")  # one sentence
    assert "nope.log" in result.output


def test_missing_file_via_main_is_one_sentence_and_a_non_zero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        evfault.cli.main(["decode", str(tmp_path / "nope.log")])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "nope.log" in err


def test_folder_is_a_user_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(evfault.cli.app, ["decode", str(tmp_path)])
    assert result.exit_code == 2 and result.output.startswith("evfault: ")  # one sentence


def test_input_is_streamed_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each line's result is written before the next line is read: constant memory on a log
    of any size."""
    out = io.StringIO()
    sample = EVGO.read_text().splitlines()

    def lines() -> Iterator[str]:
        for number, line in enumerate(sample, start=1):
            if number > 1:
                assert f"line {number - 1}:" in out.getvalue()
            yield line + "\n"

    class Stdin:
        def __iter__(self) -> Iterator[str]:
            return lines()

    monkeypatch.setattr(sys, "stdin", Stdin())
    monkeypatch.setattr(sys, "stdout", out)
    decode_cmd.decode_command("-", as_json=False)
    assert out.getvalue().count("line ") >= 18


def test_fault_dict_has_the_api_fields() -> None:
    decoded = decode_text(EVGO.read_text().splitlines()[7])  # F006, 20 Ω
    body = decoded_to_dict(decoded)
    (fault,) = body["faults"]
    assert set(fault) == {
        "scheme",
        "code",
        "raw_code",
        "known",
        "title",
        "severity",
        "vendor_id",
        "error_code",
        "info",
        "reading",
        "connector_id",
        "guessed",
    }
    assert fault["reading"] == {"value": 20.0, "unit": "Ω"} and fault["connector_id"] == 1
    assert fault["known"] is True and fault["severity"] in ("info", "warning", "critical")
    assert orjson.loads(orjson.dumps(body)) == body  # JSON-ready as it is
    assert fault_to_dict(decoded.faults[0])["connector_id"] is None  # 1.6 faults name none


def test_decode_package_does_no_io() -> None:
    """decode/ is pure: no event loop, database, web framework or network."""
    banned = {
        "asyncio",
        "socket",
        "websockets",
        "sqlalchemy",
        "psycopg",
        "starlette",
        "uvicorn",
        "httpx",
        "requests",
        "urllib",
        "evfault.store",
        "evfault.web",
        "evfault.ocpp",
    }
    for path in DECODE_PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not any(name == b or name.startswith(b + ".") for b in banned), (
                    f"{path.name} imports {name}"
                )
