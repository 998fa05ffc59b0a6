"""Alerts end to end: a real server on port 0, the `ocpp` package's ChargePoint reporting
errors, a real local SMTP server (aiosmtpd) and a webhook receiver that checks signatures.

Each test runs on SQLite and PostgreSQL (the `db_url` fixture behind `start_server`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alert_support import WebhookReceiver, smtp_server
from chargers import boot16, charger16, send_status16

pytestmark = pytest.mark.slow

SECRET = "test-webhook-secret"


def rules_file(tmp_path: Path, channel: str, after: str = "1s", extra: str = "",
               resolved: bool = True) -> str:
    path = tmp_path / "rules.yaml"
    path.write_text(f"""
self_healing: []
alerts:
  - name: internal-errors
    match: {{code: InternalError}}
    after: {after}
    resolved: {str(resolved).lower()}
    channels: [{channel}]
{extra}""")
    return str(path)


def alert_settings(rules: str, **more: Any) -> dict[str, Any]:
    return {"rules": rules, "alert_interval": 0.1, "alert_retry_delay": 0.1,
            "webhook_secret": SECRET, "smtp_tls": "none", **more}


async def eventually(condition: Callable[[], Any], bound: float = 60.0) -> None:
    """Wait for something the server does by itself; the bound only guards against a hang."""
    async with asyncio.timeout(bound):
        while not condition():  # noqa: ASYNC110 - the condition is another task's doing
            await asyncio.sleep(0.05)


async def outbox_has(server: Any, state: str, count: int, bound: float = 60.0) -> list[Any]:
    """Wait until the outbox holds `count` messages in `state`; those messages."""
    async with asyncio.timeout(bound):
        while len(found := await server.alerts.messages(state)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return found


async def test_mail_only_for_errors_still_open_after_the_delay(start_server: Any,
                                                               tmp_path: Path) -> None:
    smtp = await smtp_server()
    # A delay long enough that CP-BLIP's error, cleared by the very next message, cannot
    # outlive it even on a busy machine.
    rules = rules_file(tmp_path, "{email: ops@example.com}", after="5s")
    server = await start_server(**alert_settings(rules, smtp_host="127.0.0.1",
                                                 smtp_port=smtp.port))
    try:
        async with charger16(server.address.ocpp, "CP-BLIP") as blip, \
                charger16(server.address.ocpp, "CP-STUCK") as stuck:
            await boot16(blip)
            await boot16(stuck)
            await send_status16(blip, errorCode="InternalError", status="Faulted")
            await send_status16(blip, errorCode="NoError", status="Available")  # cleared itself
            await send_status16(stuck, errorCode="InternalError", status="Faulted")
            await eventually(lambda: smtp.mails)
            # Two more rounds of the rules: CP-BLIP's error is past the delay by now too.
            await server.alerts.check()
            await server.alerts.deliver()
            [mail] = smtp.mails
            assert mail["To"] == "ops@example.com"
            assert "CP-STUCK" in mail["Subject"] and "InternalError" in mail["Subject"]
            assert "CP-STUCK" in mail.get_payload()
            await send_status16(stuck, errorCode="NoError", status="Available")
            await eventually(lambda: len(smtp.mails) == 2)
        resolved = smtp.mails[1]
        assert resolved["Subject"].startswith("[evfault] Resolved: CP-STUCK")
        # The mail server has it a moment before the outbox row is marked.
        await outbox_has(server, "sent", 2)
        rows = await server.alerts.messages()
        assert sorted((r.kind, r.state) for r in rows) == [("alert", "sent"), ("resolved", "sent")]
    finally:
        smtp.close()


async def test_webhook_is_signed_and_retried_until_it_is_taken(start_server: Any,
                                                               tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET, status=503).start()
    rules = rules_file(tmp_path, f"{{webhook: '{receiver.url}'}}", after="0s")
    server = await start_server(**alert_settings(rules))
    try:
        async with charger16(server.address.ocpp, "CP-HOOK") as cp:
            await boot16(cp)
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            await eventually(lambda: len(receiver.deliveries) >= 2)  # refused, so retried
            receiver.status = 200
            sent = await outbox_has(server, "sent", 1)
        first, *_ = receiver.deliveries
        assert all(d.signed for d in receiver.deliveries)
        assert len(set(receiver.keys())) == 1  # every retry carries the same Idempotency-Key
        assert first.body["charger_id"] == "CP-HOOK" and first.body["code"] == "InternalError"
        assert first.body["kind"] == "alert" and first.body["id"] == receiver.keys()[0]
        [row] = sent
        assert row.attempts == len(receiver.deliveries)
    finally:
        receiver.close()


async def test_a_wrong_secret_is_refused_and_the_message_fails(start_server: Any,
                                                               tmp_path: Path) -> None:
    receiver = await WebhookReceiver("the receiver's own secret").start()
    rules = rules_file(tmp_path, f"{{webhook: '{receiver.url}'}}", after="0s")
    server = await start_server(**alert_settings(rules))
    try:
        async with charger16(server.address.ocpp, "CP-BAD") as cp:
            await boot16(cp)
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            failed = await outbox_has(server, "failed", 1)
        assert [d.signed for d in receiver.deliveries] == [False]  # a 401 is not retried
        assert "401" in (failed[0].last_error or "")
    finally:
        receiver.close()


async def test_two_nodes_on_one_database_send_an_alert_once(start_server: Any,
                                                            tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    rules = rules_file(tmp_path, f"{{webhook: '{receiver.url}'}}", after="0s", resolved=False)
    a = await start_server(node="node-a", **alert_settings(rules))
    b = await start_server(node="node-b", **alert_settings(rules))
    try:
        async with charger16(a.address.ocpp, "CP-TWO") as cp:
            await boot16(cp)
            await send_status16(cp, errorCode="InternalError", status="Faulted")
            await outbox_has(a, "sent", 1)
            await b.alerts.check()  # node B decides the same alert: it is not written again
            await b.alerts.deliver()
            await a.alerts.check()
            await a.alerts.deliver()
        [incident] = await a.services.store.active_incidents("CP-TWO")
        assert set(b.alerts.fired) == {("internal-errors", incident.id)}  # B decided it too
        assert len(await b.alerts.messages()) == 1
        assert len(receiver.deliveries) == 1 and receiver.deliveries[0].signed
    finally:
        receiver.close()


async def test_a_charger_offline_past_the_delay_alerts_then_resolves(start_server: Any,
                                                                    tmp_path: Path) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    path = tmp_path / "offline.yaml"
    path.write_text(f"""
alerts:
  - name: offline
    match: {{offline: true}}
    after: 0s
    channels: [{{webhook: '{receiver.url}'}}]
""")
    server = await start_server(**alert_settings(str(path)))  # offline after 0.4 s (FAST)
    try:
        async with charger16(server.address.ocpp, "CP-GONE") as cp:
            await boot16(cp)
        await eventually(lambda: receiver.deliveries)
        async with charger16(server.address.ocpp, "CP-GONE") as cp:
            await boot16(cp)
            await eventually(lambda: len(receiver.deliveries) == 2)
        alert, resolved = (d.body for d in receiver.deliveries)
        assert (alert["kind"], alert["offline"], alert["charger_id"]) == ("alert", True, "CP-GONE")
        assert alert["incident_id"] is None and alert["code"] == "Offline"
        assert resolved["kind"] == "resolved" and resolved["charger_id"] == "CP-GONE"
    finally:
        receiver.close()
