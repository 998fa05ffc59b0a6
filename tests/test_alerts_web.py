"""Alerts on the web: the outbox through the API and the page, the rules for admins only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from accounts import api_token
from alert_support import WebhookReceiver
from chargers import boot16, charger16, send_status16
from evfault.auth.sessions import CSRF_HEADER
from evfault.web.openapi import document
from test_alerts_e2e import SECRET, alert_settings, outbox_has, rules_file
from test_web_support import log_in

pytestmark = pytest.mark.slow


def client(server: Any, token: str | None = None) -> httpx.AsyncClient:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=server.address.http, headers=headers, timeout=30)


def valid(body: Any, schema: str) -> None:
    OAS30Validator({"$ref": f"#/components/schemas/{schema}", **document()}).validate(body)


@pytest.fixture
async def served(start_server: Any, tmp_path: Path) -> Any:
    """A server with one alert sent to a webhook receiver and one that the receiver fails."""
    good = await WebhookReceiver(SECRET).start()
    rules = rules_file(tmp_path, f"{{webhook: '{good.url}'}}, {{webhook: 'http://127.0.0.1:9/x'}}",
                       after="0s")
    server = await start_server(**alert_settings(rules, alert_attempts=1))
    async with charger16(server.address.ocpp, "CP-WEB") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="InternalError", status="Faulted")
        await outbox_has(server, "sent", 1)
        await outbox_has(server, "failed", 1)
    yield server
    good.close()


async def test_the_outbox_through_the_api(served: Any) -> None:
    async with client(served) as anonymous:
        assert (await anonymous.get("/api/v1/alerts")).status_code == 401
    async with client(served, await api_token(served, "viewer")) as viewer:
        body = (await viewer.get("/api/v1/alerts")).json()
        valid(body, "AlertList")
        assert body["counts"] == {"pending": 0, "sent": 1, "failed": 1}
        by_state = {a["state"]: a for a in body["alerts"]}
        assert by_state["sent"]["charger_id"] == "CP-WEB"
        assert by_state["sent"]["code"] == "InternalError" and by_state["sent"]["kind"] == "alert"
        assert by_state["failed"]["last_error"]
        failed = (await viewer.get("/api/v1/alerts?state=failed")).json()["alerts"]
        assert [a["target"] for a in failed] == ["http://127.0.0.1:9/x"]
        wrong = await viewer.get("/api/v1/alerts?state=lost")
        assert wrong.status_code == 400 and "pending, sent or failed" in wrong.json()["error"]


async def test_rules_are_for_admins_and_a_bad_document_changes_nothing(served: Any) -> None:
    async with client(served, await api_token(served, "operator")) as operator:
        assert (await operator.get("/api/v1/rules")).status_code == 403
        assert (await operator.put("/api/v1/rules", content="alerts: []")).status_code == 403
    async with client(served, await api_token(served, "admin")) as admin:
        before = (await admin.get("/api/v1/rules")).json()
        valid(before, "Rules")
        assert before["source"].startswith("file:")
        assert before["rules"]["alerts"][0]["name"] == "internal-errors"
        bad = await admin.put("/api/v1/rules", content="alerts: [{name: x, after: soon}]",
                              headers={"content-type": "application/yaml"})
        assert bad.status_code == 400 and "alerts[0]" in bad.json()["error"]
        assert (await admin.get("/api/v1/rules")).json()["version"] == before["version"]
        new = {"self_healing": [], "alerts": [{"name": "offline", "match": {"offline": True},
                                               "after": "5m",
                                               "channels": [{"email": "ops@example.com"}]}]}
        saved = await admin.put("/api/v1/rules", json=new)
        assert saved.status_code == 200, saved.text
        body = saved.json()
        valid(body, "Rules")
        assert body["version"] > before["version"] and body["source"] == "api"
        assert [r["name"] for r in body["rules"]["alerts"]] == ["offline"]
        assert served.alerts.rules.alerts[0].name == "offline"  # in force at once
        audit = (await admin.get("/api/v1/audit")).json()["audit"]
        assert audit[0]["action"] == "rules.change"


async def test_the_page_in_the_readers_language(served: Any) -> None:
    async with client(served, await api_token(served, "viewer")) as viewer:
        page = await viewer.get("/alerts?lang=de", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "Alarme" in page.text and "fehlgeschlagen" in page.text
        assert "CP-WEB" in page.text
        assert 'id="rules-form"' not in page.text  # a viewer does not see the rules
        assert "/retry" not in page.text  # nor a button to send a failed message again
        dashboard = await viewer.get("/", headers={"accept": "text/html"})
        assert 'id="alerts-tile"' in dashboard.text
    async with client(served, await api_token(served, "admin")) as admin:
        page = await admin.get("/alerts?state=failed", headers={"accept": "text/html"})
        assert 'id="rules-form"' in page.text and "internal-errors" in page.text
        assert page.text.count('data-state="failed"') == 1
        assert page.text.count('/retry"') == 1 and "Send again" in page.text
        assert 'data-state="sent"' not in page.text


async def test_a_page_without_a_login_asks_for_one(served: Any) -> None:
    async with client(served) as anonymous:
        page = await anonymous.get("/alerts", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_an_admin_changes_the_rules_with_the_pages_form(served: Any) -> None:
    async with client(served) as browser:
        await log_in(browser, served.trust, "admin")
        del browser.headers[CSRF_HEADER]  # a form carries it as a field, not a header
        page = (await browser.get("/alerts", headers={"accept": "text/html"})).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        before = served.alerts.version.id
        bad = await browser.post("/alerts/rules", data={"csrf_token": token[1],
                                                        "text": "alerts: [{name: x}]"})
        assert bad.status_code == 400 and "at least one channel" in bad.text
        assert served.alerts.version.id == before
        good = "alerts: [{name: quiet, after: 1h, channels: [{email: a@example.com}]}]\n"
        saved = await browser.post("/alerts/rules", data={"csrf_token": token[1], "text": good})
        assert saved.status_code == 303 and saved.headers["location"] == "/alerts?saved=1"
        shown = (await browser.get("/alerts?saved=1", headers={"accept": "text/html"})).text
        assert 'id="rules-saved"' in shown and "name: quiet" in shown
        assert served.alerts.rules.alerts[0].name == "quiet"
        forged = await browser.post("/alerts/rules", data={"text": "alerts: []"})
        assert forged.status_code == 403  # without the session's CSRF token


async def test_one_message_and_sending_a_failed_one_again(served: Any) -> None:
    async with client(served, await api_token(served, "viewer")) as viewer:
        listed = (await viewer.get("/api/v1/alerts")).json()["alerts"]
        ids = {a["state"]: a["id"] for a in listed}
        one = await viewer.get(f"/api/v1/alerts/{ids['failed']}")
        assert one.status_code == 200 and one.json() == next(
            a for a in listed if a["state"] == "failed")
        valid(one.json(), "AlertMessage")
        assert (await viewer.get("/api/v1/alerts/999999")).status_code == 404
        assert (await viewer.get("/api/v1/alerts/x'")).status_code == 404
        assert (await viewer.post(f"/api/v1/alerts/{ids['failed']}/retry")).status_code == 403
    async with client(served, await api_token(served, "operator")) as operator:
        again = await operator.post(f"/api/v1/alerts/{ids['failed']}/retry")
        assert again.status_code == 200, again.text
        assert again.json()["state"] in ("pending", "failed")  # the receiver is still down
        assert again.json()["attempts"] <= 1
        sent = await operator.post(f"/api/v1/alerts/{ids['sent']}/retry")
        assert sent.status_code == 409 and "failed" in sent.json()["error"]
    async with client(served, await api_token(served, "admin")) as admin:
        audit = (await admin.get("/api/v1/audit")).json()["audit"]
        assert any(a["action"] == "alert.retry" and a["target"] == f"alert:{ids['failed']}"
                   for a in audit)
