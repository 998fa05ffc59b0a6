"""`evfault chargers …` and `evfault users …` through the CLI runner, on both databases."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from typer.testing import CliRunner, Result

import evfault.cli
from evfault.auth.service import Trust
from evfault.context import utc_now
from evfault.ocpp.admission import Handshake
from evfault.settings import Settings

evfault.cli._register()
runner = CliRunner()


def run(db: str, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(evfault.cli.app, [*args, "--db", db], input=stdin)


def run_json(db: str, *args: str, stdin: str | None = None) -> Any:
    result = run(db, *args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evfault: "), result.stderr
    return lines[0]


def admits(db: str, handshake: Handshake) -> bool:
    """What a server starting on this database would answer the handshake."""

    async def ask() -> bool:
        trust = Trust(Settings(db=db, unknown_chargers="reject"), utc_now)
        await trust.start()
        try:
            return (await trust.gate.admit(handshake)).admitted
        finally:
            await trust.stop()

    return asyncio.run(ask())


def test_a_charger_added_with_a_password_must_send_it(db_url: str) -> None:
    made = run_json(db_url, "chargers", "add", "CP1", "--password-stdin",
                    stdin="a-password-from-a-pipe\n")
    assert made["charger"]["has_password"] and made["password"] is None  # not echoed back
    assert admits(db_url, Handshake("CP1", "10.0.0.1", False, "CP1", "a-password-from-a-pipe"))
    assert not admits(db_url, Handshake("CP1", "10.0.0.1", False, "CP1", "x" * 20))
    assert not admits(db_url, Handshake("CP1", "10.0.0.1", False))


def test_a_generated_password_is_printed_once_and_works(db_url: str) -> None:
    result = run(db_url, "chargers", "add", "CP2", "--generate-password", "--profile", "2")
    assert result.exit_code == 0, result.output
    password = result.stdout.strip().rsplit(" ", 1)[-1]
    assert 16 <= len(password) <= 40
    assert admits(db_url, Handshake("CP2", "10.0.0.1", True, "CP2", password))
    assert not admits(db_url, Handshake("CP2", "10.0.0.1", False, "CP2", password))  # no TLS
    listed = run(db_url, "chargers", "list")
    assert "CP2" in listed.stdout and password not in listed.stdout


def test_approve_reject_and_rotate(db_url: str) -> None:
    run_json(db_url, "chargers", "add", "CP3", "--profile", "0", "--pending")
    assert run_json(db_url, "chargers", "approve", "CP3")["state"] == "accepted"
    assert run_json(db_url, "chargers", "reject", "CP3")["state"] == "rejected"
    assert not admits(db_url, Handshake("CP3", "10.0.0.1", False))
    rotated = run_json(db_url, "chargers", "set-password", "CP3", "--generate-password")
    assert rotated["charger"]["profile"] == 1 and rotated["password"]
    listed = run_json(db_url, "chargers", "list")["chargers"]
    assert [(c["id"], c["state"], c["profile"]) for c in listed] == [("CP3", "rejected", 1)]


def test_people_get_one_sentence(db_url: str) -> None:
    assert "needs a password" in one_line_error(run(db_url, "chargers", "add", "CP4"))
    assert "16 to 40" in one_line_error(
        run(db_url, "chargers", "add", "CP4", "--password-stdin", stdin="short\n"))
    assert "not in the charger registry" in one_line_error(
        run(db_url, "chargers", "approve", "NOPE"))
    assert "certificate" in one_line_error(run(db_url, "chargers", "add", "CP5", "--profile", "3"))
    assert "characters outside" in one_line_error(
        run(db_url, "chargers", "add", "bad id", "--profile", "0"))
    assert "viewer, operator or admin" in one_line_error(
        run(db_url, "users", "add", "bob", "--role", "boss"))
    bad_db = runner.invoke(evfault.cli.app, ["chargers", "list", "--db", "mysql://x/y"])
    assert "Unsupported database URL" in one_line_error(bad_db)


def test_users_and_their_tokens(db_url: str) -> None:
    made = run_json(db_url, "users", "add", "alice", "--role", "admin")
    assert made["user"]["role"] == "admin" and len(made["password"]) >= 16
    piped = run_json(db_url, "users", "add", "bob", "--role", "viewer", "--password-stdin",
                     stdin="bobs own password\n")
    assert piped["password"] is None
    token = run_json(db_url, "users", "token", "alice", "--label", "ci")
    assert token["secret"].startswith("evf_") and token["token"]["label"] == "ci"
    listed = run_json(db_url, "users", "tokens")["tokens"]
    assert [t["user"] for t in listed] == ["alice"] and token["secret"] not in json.dumps(listed)
    assert run(db_url, "users", "revoke-token", str(token["token"]["id"])).exit_code == 0
    assert "no live API token" in one_line_error(
        run(db_url, "users", "revoke-token", str(token["token"]["id"])))
    assert run(db_url, "users", "remove", "bob").exit_code == 0
    assert [u["name"] for u in run_json(db_url, "users", "list")["users"]] == ["alice"]
