"""RFID idTags: the allow-list with expiry and parent tags, the policy for unknown tags, and
what chargers of both versions are answered (the `ocpp` package's ChargePoints asking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from chargers import boot16, boot201, charger16, charger201
from evfault.auth.tags import TagBook, TagEntry, TagStatus, UnknownTags
from test_sites_e2e import matches_schema
from test_web_support import bearer

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


# ---- the decision (pure) ----------------------------------------------------------------------


def book(*entries: TagEntry, unknown: UnknownTags = UnknownTags.REJECT) -> TagBook:
    return TagBook(unknown, entries)


def test_unknown_tags_follow_the_policy() -> None:
    assert book().decide("NOPE", NOW).status is TagStatus.INVALID
    assert book(unknown=UnknownTags.ACCEPT).decide("NOPE", NOW).status is TagStatus.ACCEPTED
    assert book().decide("NOPE", NOW).info("1.6") == {"status": "Invalid"}
    assert book().decide("NOPE", NOW).info("2.0.1") == {"status": "Unknown"}


def test_a_listed_tag_is_accepted_until_it_expires() -> None:
    later = NOW + timedelta(days=30)
    tags = book(TagEntry("CARD-1", expires_at=later))
    decision = tags.decide("CARD-1", NOW)
    assert decision.info("1.6") == {"status": "Accepted", "expiryDate": "2026-12-29T12:00:00.000Z"}
    assert decision.info("2.0.1") == {"status": "Accepted",
                                      "cacheExpiryDateTime": "2026-12-29T12:00:00.000Z"}
    assert tags.decide("CARD-1", later).status is TagStatus.EXPIRED
    assert book(TagEntry("B", blocked=True)).decide("B", NOW).info("1.6") == {"status": "Blocked"}


def test_a_tag_shares_its_parents_block_and_expiry() -> None:
    soon = NOW + timedelta(hours=1)
    fleet = TagEntry("FLEET", expires_at=soon)
    card = TagEntry("CARD-7", parent="FLEET", expires_at=NOW + timedelta(days=9))
    decision = book(fleet, card).decide("CARD-7", NOW)
    assert decision.info("1.6") == {"status": "Accepted", "expiryDate": "2026-11-29T13:00:00.000Z",
                                    "parentIdTag": "FLEET"}
    assert decision.info("2.0.1")["groupIdToken"] == {"idToken": "FLEET", "type": "Central"}
    assert book(fleet, card).decide("CARD-7", soon).status is TagStatus.EXPIRED
    blocked = book(TagEntry("FLEET", blocked=True), card)
    assert blocked.decide("CARD-7", NOW).status is TagStatus.BLOCKED
    # a parent that is not listed itself blocks nothing; a loop of parents ends
    assert book(TagEntry("C", parent="GONE")).decide("C", NOW).accepted
    looped = book(TagEntry("X", parent="Y"), TagEntry("Y", parent="X"))
    assert looped.decide("X", NOW).accepted


# ---- through a real server --------------------------------------------------------------------


async def test_operators_list_tags_and_chargers_are_answered_by_them(start_server: Any) -> None:
    server = await start_server(unknown_tags="reject")
    token = await bearer(server.trust, "operator")
    viewer = await bearer(server.trust, "viewer")
    later = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    async with httpx.AsyncClient(base_url=server.address.http,
                                 headers={"authorization": f"Bearer {token}"}) as api:
        fleet = await api.put("/api/v1/id-tags/FLEET", json={"note": "vans"})
        card = await api.put("/api/v1/id-tags/CARD-1", json={
            "parent": "FLEET", "expires_at": later.isoformat().replace("+00:00", "Z")})
        assert (fleet.status_code, card.status_code) == (200, 200), card.text
        matches_schema(card.json(), "IdTag")
        await api.put("/api/v1/id-tags/STOLEN", json={"blocked": True})
        listed = await api.get("/api/v1/id-tags")
        matches_schema(listed.json(), "IdTagList")
        assert [t["id_tag"] for t in listed.json()["tags"]] == ["CARD-1", "FLEET", "STOLEN"]
        bad = await api.put("/api/v1/id-tags/X", json={"expires_at": "soon"})
        assert bad.status_code == 400 and bad.json()["error"].startswith("expires_at must be")
        denied = await api.get("/api/v1/id-tags", headers={"authorization": f"Bearer {viewer}"})
        assert denied.status_code == 403

        async with charger16(server.address.ocpp, "CP-RFID") as cp:
            await boot16(cp)
            ok = await cp.call(call16.Authorize(id_tag="CARD-1"))
            assert ok.id_tag_info["status"] == "Accepted", ok.id_tag_info
            assert ok.id_tag_info["parent_id_tag"] == "FLEET"
            assert ok.id_tag_info["expiry_date"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
            stranger = await cp.call(call16.Authorize(id_tag="STRANGER"))
            assert stranger.id_tag_info == {"status": "Invalid"}
            started = await cp.call(call16.StartTransaction(
                connector_id=1, id_tag="STOLEN", meter_start=0,
                timestamp=datetime.now(UTC).isoformat()))
            assert started.id_tag_info == {"status": "Blocked"}
            assert started.transaction_id > 0
            await api.put("/api/v1/id-tags/FLEET", json={"blocked": True})
            now_blocked = await cp.call(call16.Authorize(id_tag="CARD-1"))
            assert now_blocked.id_tag_info["status"] == "Blocked"
        assert (await api.delete("/api/v1/id-tags/FLEET")).status_code == 204
        assert (await api.delete("/api/v1/id-tags/FLEET")).status_code == 404

        async with charger201(server.address.ocpp, "CS-RFID") as cs:
            await boot201(cs)
            ok = await cs.call(call201.Authorize(id_token={"id_token": "CARD-1",
                                                           "type": "ISO14443"}))
            assert ok.id_token_info["status"] == "Accepted"
            unknown = await cs.call(call201.Authorize(id_token={"id_token": "STRANGER",
                                                                "type": "ISO14443"}))
            assert unknown.id_token_info == {"status": "Unknown"}
            free = await cs.call(call201.Authorize(id_token={"id_token": "",
                                                             "type": "NoAuthorization"}))
            assert free.id_token_info == {"status": "Accepted"}
    audit = await server.trust.admin.audit_entries(50)
    assert {("tag.put", "CARD-1"), ("tag.remove", "FLEET")} <= {(a.action, a.target)
                                                                  for a in audit}


async def test_the_default_policy_rejects_unknown_tags(start_server: Any) -> None:
    from evfault.settings import Settings

    assert Settings().unknown_tags == "reject"
    server = await start_server(unknown_tags="accept")
    async with charger16(server.address.ocpp, "CP-OPEN") as cp:
        await boot16(cp)
        assert (await cp.call(call16.Authorize(id_tag="ANY"))).id_tag_info == {
            "status": "Accepted"}


async def test_the_cli_keeps_the_list_a_running_server_answers_by(start_server: Any,
                                                                 db_url: str) -> None:
    from test_commands_api import cli

    server = await start_server(unknown_tags="reject")
    code, out, err = await cli("tags", "add", "VAN-9", "--note", "van 9", "--db", db_url)
    assert code == 0, err
    code, out, _ = await cli("tags", "list", "--db", db_url, "--json")
    assert [t["id_tag"] for t in __import__("json").loads(out)["tags"]] == ["VAN-9"]
    await server.tags.reload()  # what its refresh does every few seconds
    async with charger16(server.address.ocpp, "CP-CLI-TAG") as cp:
        await boot16(cp)
        assert (await cp.call(call16.Authorize(id_tag="VAN-9"))).id_tag_info == {
            "status": "Accepted"}
    code, _, err = await cli("tags", "remove", "NOPE", "--db", db_url)
    assert code == 1 and err.strip() == "evfault: 'NOPE' is not on the list."
