"""A pending alert survives a SIGKILL of the server and is delivered exactly once afterwards.

The server is a real `evfault serve` process; the charger is the `ocpp` package's ChargePoint;
the webhook receiver checks every signature. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from alert_support import WebhookReceiver
from chargers import boot16, charger16, send_status16
from evfault.store import outbox
from evfault.store.outbox import OutboxRow
from evfault.store.trust_store import TrustStore
from test_alerts_e2e import SECRET, rules_file

pytestmark = pytest.mark.slow


def serve(db_url: str, rules: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "evfault", "serve", "--port", "0", "--db", db_url,
         "--log-level", "warning", "--unknown-chargers", "accept", "--rules", rules,
         "--webhook-secret", SECRET, "--alert-interval", "0.1", "--alert-retry-delay", "0.2"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"OCPP (ws://\S+)/\{chargePointId\}", line)
    if not found:
        process.kill()
        raise AssertionError(f"the server did not announce itself: {line!r}")
    return process, found.group(1)


async def rows_when(db: TrustStore, ready: Any, bound: float = 60.0) -> list[OutboxRow]:
    """The outbox once `ready(rows)` holds (the server does it by itself; bound: no hang)."""
    async with asyncio.timeout(bound):
        while not ready(rows := await db.read(outbox.listing)):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return rows


def stop(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.kill(process.pid, sig)
        process.wait(30)


async def test_an_alert_pending_at_a_sigkill_is_delivered_once_after_restart(
        db_url: str, tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    port = receiver.port
    receiver.close()  # down for now: the alert stays pending, retried with backoff
    await receiver.server.wait_closed()  # type: ignore[union-attr]
    rules = rules_file(tmp_path, f"{{webhook: '{receiver.url}'}}", after="0s", resolved=False)
    db = TrustStore(db_url)
    process, url = serve(db_url, rules)
    try:
        await db.start()
        async with charger16(url, "CP-KILL") as cp:
            await boot16(cp)
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            [pending] = await rows_when(db, lambda rows: rows and rows[0].last_error)
            stop(process)
        assert pending.state == "pending" and pending.last_error
        await receiver.start(port)
        process, url = serve(db_url, rules)
        # A kill just after a claim leaves the message to wait out its lease (one minute).
        [sent] = await rows_when(db, lambda rows: rows and rows[0].state == "sent", 180)
        assert sent.message_key == pending.message_key
        # Give the restarted server many more rounds: nothing is written or sent again.
        await asyncio.sleep(1.0)
        assert [d.signed for d in receiver.deliveries] == [True]
        assert receiver.keys() == [pending.message_key]
        assert receiver.deliveries[0].body["charger_id"] == "CP-KILL"
        assert len(await db.read(outbox.listing)) == 1
    finally:
        stop(process, signal.SIGTERM)
        receiver.close()
        await db.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_rules_file_with_a_mistake_stops_the_start_with_one_sentence(
        db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("alerts: [{name: x, after: soon, channels: [{email: a@b.c}]}]\n")
    for rules, says in ((bad, "alerts[0].after must be a duration"),
                        (tmp_path / "missing.yaml", "cannot read the rules file")):
        done = subprocess.run(
            [sys.executable, "-m", "evfault", "serve", "--port", "0", "--db", db_url,
             "--rules", str(rules)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert says in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
