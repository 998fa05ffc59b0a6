"""`evfault explain` and `evfault codes`, driven through the CLI runner."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import evfault.cli
from evfault.cli import catalog_cmds

evfault.cli._register()
runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(evfault.cli.app, list(args))


def run_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_line_error(result: Result) -> str:
    """The message a failed command printed: exactly one line on stderr, no traceback."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("evfault: ")
    return lines[0]


# ---- explain ------------------------------------------------------------------------------------


def test_explain_f001_json() -> None:
    data = run_json("explain", "F001")
    assert data["scheme"] == "evgo-mrec" and data["code"] == "F001"
    assert data["measurement"]["threshold"] == 1.23
    assert data["measurement"]["unit"] == "VDC"
    assert data["expected_status"] == "Finishing"
    assert "chargex-mrec:CX023" in data["equivalents"]


@pytest.mark.parametrize(
    ("args", "ref"),
    [
        (["CX011"], "chargex-mrec:CX011"),
        (["cx011"], "chargex-mrec:CX011"),
        (["CableCheckFault"], "chargex-mrec:CX011"),
        (["GroundFailure"], "ocpp1.6:GroundFailure"),
        (["evgo-mrec:F001"], "evgo-mrec:F001"),
        (["evgo-mrec:f001"], "evgo-mrec:F001"),
        (["ocpp2.0.1:Faulted"], "ocpp2.0.1:Faulted"),
        (["f006", "--vendor", "com.evgo.mrec"], "evgo-mrec:F006"),
        (["CX019", "--vendor", "https://chargex.inl.gov/"], "chargex-mrec:CX019"),
    ],
)
def test_explain_accepts_every_way_of_naming_a_code(args: list[str], ref: str) -> None:
    assert run_json("explain", *args)["ref"] == ref


def test_explain_for_people_shows_steps_limits_and_links() -> None:
    result = run("explain", "F001")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # undo Rich's line wrapping
    f001 = catalog_cmds.catalog().resolve("evgo-mrec:F001")[0]
    assert "evgo-mrec:F001" in out and "Proximity voltage too low" in out and "critical" in out
    assert f001.text().driver_now[0] in out and f001.text().operator_steps[-1] in out
    assert "below 1.23 VDC" in out
    assert "status Finishing" in out and "connectorId 1" in out
    assert "chargex-mrec:CX023 — Proximity signal out of range" in out
    assert "https://mrec.evgo.com" in out


def test_explain_says_which_language_it_fell_back_to() -> None:
    result = run("explain", "CX011", "--lang", "sv")
    assert result.exit_code == 0
    assert "no 'sv' text yet; shown in en" in result.stdout
    assert run_json("explain", "CX011", "--lang", "sv")["lang"] == "en"


def test_explain_in_german_for_a_regional_tag() -> None:
    data = run_json("explain", "CX011", "--lang", "de-AT")
    assert data["lang"] == "de" and data["title"] == "Kabelprüfung fehlgeschlagen"
    assert "Isolationsfehler" in data["summary"]


def test_an_ambiguous_code_lists_the_candidates_and_asks_for_scheme_code() -> None:
    result = run("explain", "Faulted")
    assert result.exit_code == catalog_cmds.AMBIGUOUS != 0
    assert "ocpp1.6:Faulted — Faulted" in result.stdout
    assert "ocpp2.0.1:Faulted — Faulted" in result.stdout
    assert "scheme:code" in one_line_error(result)


def test_an_ambiguous_code_in_json_prints_the_candidates() -> None:
    result = run("explain", "faulted", "--json")
    assert result.exit_code == catalog_cmds.AMBIGUOUS
    refs = [c["ref"] for c in json.loads(result.stdout)["candidates"]]
    assert sorted(refs) == ["ocpp1.6:Faulted", "ocpp2.0.1:Faulted"]
    one_line_error(result)


@pytest.mark.parametrize("code", ["XYZ123", "F011"])
def test_an_unknown_code_is_one_sentence_and_exit_1(code: str) -> None:
    result = run("explain", code)
    assert result.exit_code == 1
    message = one_line_error(result)
    assert f"'{code}'" in message and "evfault codes --search" in message
    assert result.stdout == ""


def test_a_code_of_another_scheme_than_the_vendors_is_unknown() -> None:
    result = run("explain", "F001", "--vendor", "https://chargex.inl.gov")
    assert result.exit_code == 1
    assert "not a code of chargex-mrec" in one_line_error(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["explain", "F001", "--vendor", "com.example"], "No scheme is known for vendorId"),
        (["explain", "acme:E01"], "Unknown scheme 'acme'; use one of: "),
        (["explain", " "], "Give a code to explain"),
    ],
)
def test_bad_input_gets_one_sentence(args: list[str], words: str) -> None:
    result = run(*args)
    assert result.exit_code != 0
    assert words in one_line_error(result)


# ---- codes --------------------------------------------------------------------------------------


def test_codes_json_lists_the_whole_catalog() -> None:
    data = run_json("codes")["codes"]
    by_scheme: dict[str, set[str]] = {}
    for item in data:
        by_scheme.setdefault(item["scheme"], set()).add(item["code"])
    assert len(by_scheme["evgo-mrec"]) == 17
    assert len(by_scheme["chargex-mrec"]) == 26
    ocpp16 = [i for i in data if i["scheme"] == "ocpp1.6"]
    assert sum(i["kind"] in ("error", "carrier") for i in ocpp16) == 16
    assert sum(i["kind"] == "status" for i in ocpp16) == 9
    assert sum(i["kind"] == "status" for i in data if i["scheme"] == "ocpp2.0.1") == 5
    assert by_scheme["platform"] == {
        "ChargerOffline", "ControllerOffline", "EmsOffline", "EmsUnknown", "MeterOffline",
        "MeterUnknown", "ChargerIdConflict", "FaultedNoCode"}
    assert len(data) == len(catalog_cmds.catalog())


def test_codes_filters_by_scheme_in_any_case() -> None:
    data = run_json("codes", "--scheme", "EVGO-MREC")["codes"]
    assert {i["scheme"] for i in data} == {"evgo-mrec"} and len(data) == 17


def test_codes_search_puts_the_best_match_first() -> None:
    data = run_json("codes", "--search", "ground fault")["codes"]
    assert {i["ref"] for i in data[:2]} == {"ocpp1.6:GroundFailure", "chargex-mrec:CX002"}


def test_codes_search_within_a_scheme() -> None:
    data = run_json("codes", "--search", "ground fault", "--scheme", "ocpp1.6")["codes"]
    assert [i["ref"] for i in data] == ["ocpp1.6:GroundFailure"]


def test_codes_table_for_people() -> None:
    result = run("codes", "--scheme", "chargex-mrec")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any("scheme" in line and "severity" in line and "title" in line for line in lines)
    assert sum(" CX0" in line for line in lines) == 26
    assert any("CX011" in line and "critical" in line and "Cable check" in line for line in lines)


def test_codes_with_no_match_says_so() -> None:
    result = run("codes", "--search", "qwertyuiop")
    assert result.exit_code == 0
    assert "No code matches 'qwertyuiop'." in result.stdout
    assert run_json("codes", "--search", "qwertyuiop") == {"codes": []}


def test_an_unknown_scheme_lists_the_valid_ones() -> None:
    result = run("codes", "--scheme", "ocpp3")
    assert result.exit_code != 0
    message = one_line_error(result)
    assert "Unknown scheme 'ocpp3'" in message
    for name in ("evgo-mrec", "chargex-mrec", "ocpp1.6", "ocpp2.0.1", "platform"):
        assert name in message


def test_registering_twice_adds_the_commands_once() -> None:
    catalog_cmds.register(evfault.cli.app)
    names = [c.name for c in evfault.cli.app.registered_commands]
    assert names.count("explain") == 1 and names.count("codes") == 1
