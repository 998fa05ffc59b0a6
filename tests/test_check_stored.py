"""`evfault check --charger ID --db URL` reads what the server stored for one charger.

The tests are synchronous: the command runs its own event loop, as it does for a user.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from evfault.cli import _register, app
from evfault.store.model import ChargerUpdate, MessageRow, WriteBatch
from evfault.store.sql import open_store

runner = CliRunner()
AT = datetime(2026, 1, 1, tzinfo=UTC)
GOOD = [2, "1", "StatusNotification", {
    "connectorId": 1, "errorCode": "OtherError", "info": "1.11", "status": "Finishing",
    "timestamp": "2026-01-01T00:00:00Z", "vendorId": "com.evgo.mrec", "vendorErrorCode": "F001"}]
BAD_TIME = [2, "2", "StatusNotification", {
    "connectorId": 1, "errorCode": "OtherError", "info": "105", "status": "Faulted",
    "timestamp": "2023-09-06T00-08-09Z", "vendorId": "https://chargex.inl.gov",
    "vendorErrorCode": "CX019"}]


async def store_frames(db: str, charger_id: str, frames: list[list[object]]) -> None:
    store = open_store(db)
    await store.start()
    try:
        rows = [MessageRow(charger_id, "in", AT, json.dumps(f)) for f in frames]
        rows.append(MessageRow(charger_id, "out", AT, '[3,"1",{}]'))  # answers are not checked
        await store.write(WriteBatch(messages=rows, chargers=[ChargerUpdate(charger_id)]))
    finally:
        await store.close()


@pytest.fixture(autouse=True)
def commands() -> None:
    _register()


def test_a_conforming_stored_log_passes(sqlite_url: str) -> None:
    asyncio.run(store_frames(sqlite_url, "CP-1", [GOOD]))
    result = runner.invoke(app, ["check", "--charger", "CP-1", "--db", sqlite_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["messages"] == 1


def test_a_broken_stored_message_fails_its_rule(sqlite_url: str) -> None:
    asyncio.run(store_frames(sqlite_url, "CP-2", [GOOD, BAD_TIME]))
    result = runner.invoke(app, ["check", "--charger", "CP-2", "--db", sqlite_url, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["messages"] == 2
    failed = {f["rule"] for f in report["findings"] if f["result"] == "fail"}
    assert failed == {"timestamp-format"}


def test_an_unknown_charger_is_one_sentence(sqlite_url: str) -> None:
    asyncio.run(store_frames(sqlite_url, "CP-3", [GOOD]))
    result = runner.invoke(app, ["check", "--charger", "NOPE", "--db", sqlite_url])
    assert result.exit_code != 0
    assert "no charger 'NOPE'" in result.output
    assert "Traceback" not in result.output
