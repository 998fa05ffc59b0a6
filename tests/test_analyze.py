"""`evfault analyze` and `evfault export`: the stored log read back gives the incidents the
server recorded, row by row; the hand-computed uptime; a person's mistakes in one sentence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from analytics_support import (
    CP1_OUTAGE_MIN,
    CP2_OUTAGE_MIN,
    YEAR,
    at,
    run_script,
    status,
    uptime_script,
)
from evfault.cli import _register, app
from evfault.store.engines import reader_engine
from evfault.store.history import history
from evfault.store.urls import normalise_url

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    _register()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def stored_incidents(db_url: str) -> list[tuple[object, ...]]:
    engine = reader_engine(normalise_url(db_url), pool_size=1)
    try:
        with engine.connect() as connection:
            found = history(connection, *YEAR).incidents
    finally:
        engine.dispose()
    return sorted(incident_row(i) for i in found)


def incident_row(i: object) -> tuple[object, ...]:
    return tuple(getattr(i, name) for name in (
        "charger_id", "connector_id", "scheme", "code", "opened_at", "cleared_at", "cleared_by",
        "warning_only", "status", "vendor_id", "error_code"))


def analyzed(path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = cli("analyze", str(path), "--json", *args)
    assert code == 0, err
    return orjson.loads(out)  # type: ignore[no-any-return]


def test_export_then_analyze_gives_the_servers_incidents_row_by_row(db_url: str,
                                                                    tmp_path: Path) -> None:
    script = [
        *uptime_script(),
        # a second charger that reboots with an error active: cleared by the reboot window
        ("connect", "CP-2", at(12, 2, 9), ""),
        ("in", "CP-2", at(12, 2, 9), status(1, "Faulted", "PowerMeterFailure")),
        ("in", "CP-2", at(12, 2, 10), '[2,"b2","BootNotification",{"chargePointVendor":"B",'
                                      '"chargePointModel":"Z"}]'),
        ("in", "CP-2", at(12, 2, 10, 5), status(2, "Available")),
    ]
    asyncio.run(run_script(db_url, script))
    out = tmp_path / "log.jsonl.gz"
    code, _, err = cli("export", "--db", db_url, "--out", str(out))
    assert code == 0, err
    from evfault.cli.analyze_cmd import replay_files

    replayed = replay_files([str(out)], "auto")
    assert replayed.unreadable == 0
    offline = sorted(incident_row(i) for i in replayed.incidents.values())
    live = stored_incidents(db_url)
    assert offline == live
    assert len(live) == 4, live
    assert {i[6] for i in live} >= {"NoError", "reboot"}


def test_analyze_agrees_with_the_hand_computed_uptime(sqlite_url: str, tmp_path: Path) -> None:
    asyncio.run(run_script(sqlite_url, uptime_script()))
    out = tmp_path / "year.jsonl"
    assert cli("export", "--db", sqlite_url, "--out", str(out))[0] == 0
    result = analyzed(out, "--since", "2026-01-01", "--until", "2027-01-01")
    rows = {(r["charger_id"], r["connector_id"]): r for r in result["report"]["uptime"]}
    assert rows[("CP-1", 1)]["outage_min"] == CP1_OUTAGE_MIN
    assert rows[("CP-1", 2)]["outage_min"] == CP2_OUTAGE_MIN
    assert rows[("CP-1", 1)]["period_min"] == 525_600
    assert rows[("CP-1", 2)]["uptime"] == pytest.approx((525_600 - 195) / 525_600 * 100, abs=1e-4)
    assert result["report"]["success"][0]["sessions"] == 1


def test_unreadable_lines_are_counted_and_named_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "cp.log"
    log.write_text(
        "2026-03-01T10:00:00Z CP-9 <- " + status(1, "Faulted", "GroundFailure") + "\n"
        "this is not a frame\n"
        '2026-03-01T10:01:00Z CP-9 <- [2,"x","StatusNotification",{"connectorId":\n'
        "2026-03-01T10:10:00Z CP-9 <- " + status(1, "Available") + "\n")
    code, out, _ = cli("analyze", str(log))
    assert code == 0
    assert "Unreadable lines: 2" in out and f"{log}:2: no OCPP-J frame" in out
    assert "ocpp1.6:GroundFailure" in out and "10.0" in out


@pytest.mark.parametrize(("args", "words"), [
    (["analyze", "/nowhere/x.log"], "There is no file /nowhere/x.log"),
    (["analyze", "{tmp}", "--since", "yesterday"], "--since 'yesterday' is not a time"),
    (["analyze", "{tmp}", "--format", "xml"], "--format must be one of"),
    (["export", "--db", "sqlite:///{tmp}/none.db"], "There is no database at"),
])
def test_a_persons_mistake_is_one_sentence(tmp_path: Path, args: list[str], words: str) -> None:
    code, out, err = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code != 0 and words in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_analyze_reads_without_conformance_judging_which_changes_no_incident() -> None:
    from datetime import UTC, datetime

    from evfault.ocpp.central import new_incident_id
    from evfault.pipeline import MessagePath, PathConfig
    from evfault.tracking.config import TrackerConfig
    from evfault.tracking.tracker import Tracker

    # a ChargeX code with the wrong vendorId: the checker flags it, the incident is the same
    frame = status(1, "Faulted", "OtherError", vendorId="chargex", vendorErrorCode="CX011")
    at = datetime(2026, 3, 1, tzinfo=UTC)
    done = {judge: MessagePath(Tracker(TrackerConfig(), new_incident_id),
                               PathConfig(judge=judge)).incoming("CP-1", "1.6", frame, at)
            for judge in (True, False)}
    assert len(done[True].warnings) > len(done[False].warnings)
    opened = {judge: [(c.incident.scheme, c.incident.code) for c in d.changes
                      if hasattr(c, "incident")] for judge, d in done.items()}
    assert opened[True] == opened[False] and opened[True]
