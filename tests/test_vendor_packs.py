"""Vendor code packs: data files keyed by vendorId and by the chargePointVendor a charger gave at
boot, each code with its source, observed ones marked, every text in the eight languages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from evfault.catalog import default_catalog
from evfault.catalog.schema import catalog_problems
from evfault.cli import app
from evfault.decode import decode_text
from evfault.decode.packs import with_charger_vendor

CATALOG = default_catalog()
PACKS = ("alpitronic-hyc", "easee", "amina", "everest-mrec", "alfen", "ctek", "abb")
LANGS = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")

ALFEN_210 = ('[2,"7","StatusNotification",{"connectorId":0,"errorCode":"OtherError",'
             '"info":"Modbus TCP/IP lost, in safe mode max 14.0A","status":"Available",'
             '"vendorErrorCode":"210"}]')
ALPI_15 = ('[2,"8","StatusNotification",{"connectorId":1,"errorCode":"ConnectorLockFailure",'
           '"status":"Faulted","vendorErrorCode":"15"}]')
CTEK = ('[2,"9","StatusNotification",{"connectorId":1,"errorCode":"OtherError",'
        '"status":"Faulted","vendorId":"com.ctek","vendorErrorCode":"NoPPDetected"}]')
ABB = ('[2,"10","StatusNotification",{"connectorId":1,"errorCode":"OtherError",'
       '"status":"Available","vendorErrorCode":"EmergencyButtonReleased"}]')
EVEREST_201 = json.dumps([2, "11", "NotifyEvent", {
    "generatedAt": "2026-01-10T14:51:17Z", "seqNo": 0, "eventData": [{
        "eventId": 1, "timestamp": "2026-01-10T14:51:17Z", "trigger": "Alerting",
        "actualValue": "true", "techCode": "evse_board_support/MREC2GroundFailure",
        "eventNotificationType": "HardWiredNotification", "cleared": False,
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "Problem"}}]}])


def refs(decoded: Any) -> list[str]:
    return [f"{f.scheme}:{f.code}" for f in decoded.faults]


def test_every_pack_is_complete_in_all_eight_languages() -> None:
    assert set(PACKS) <= set(CATALOG.schemes)
    assert [p for p in catalog_problems(CATALOG) if p.split(":")[0] in PACKS] == []
    for scheme in PACKS:
        for entry in CATALOG.in_scheme(scheme):
            assert set(LANGS) <= set(entry.texts), entry.ref
            assert entry.source.standard and entry.source.version, entry.ref


def test_observed_codes_say_so_and_table_codes_do_not() -> None:
    observed = {e.ref for e in CATALOG if e.observed}
    assert {"alfen:210", "ctek:NoPPDetected", "abb:EmergencyButtonReleased"} <= observed
    assert not any(e.observed for e in CATALOG.in_scheme("alpitronic-hyc"))
    assert not any(e.observed for e in CATALOG.in_scheme("everest-mrec"))


def test_alfen_210_is_read_by_the_chargers_maker_though_it_sends_no_vendor_id() -> None:
    plain = decode_text(ALFEN_210)
    assert refs(plain) == ["unknown:210"]
    decoded = with_charger_vendor(plain, CATALOG, "Alfen BV")
    assert refs(decoded) == ["alfen:210"]
    fault = decoded.faults[0]
    assert fault.info == "Modbus TCP/IP lost, in safe mode max 14.0A"
    assert fault.entry is not None and fault.entry.observed
    assert "Modbus" in fault.entry.text("de").summary
    assert not any(w.rule == "code-unknown" for w in decoded.warnings)
    assert refs(decode_text(ALFEN_210, charger_vendor="ALFEN B.V.")) == ["alfen:210"]
    assert refs(decode_text(ALFEN_210, charger_vendor="Kempower")) == ["unknown:210"]


@pytest.mark.parametrize(("frame", "vendor", "expected"), [
    (ALPI_15, "alpitronic GmbH", "alpitronic-hyc:15"),
    (ABB, "ABB", "abb:EmergencyButtonReleased"),
    (CTEK, None, "ctek:NoPPDetected"),  # its vendorId alone names the pack
    (CTEK, "CTEK Sweden AB", "ctek:NoPPDetected"),
])
def test_each_pack_reads_its_makers_codes(frame: str, vendor: str | None,
                                          expected: str) -> None:
    assert expected in refs(decode_text(frame, charger_vendor=vendor))


def test_alpitronic_codes_of_one_kind_share_their_texts() -> None:
    meter = ALPI_15.replace('"15"', '"43"')
    decoded = decode_text(meter, charger_vendor="alpitronic GmbH")
    assert refs(decoded) == ["alpitronic-hyc:43"]
    entry, lender = decoded.faults[0].entry, CATALOG.get("ocpp1.6", "PowerMeterFailure")
    assert entry is not None and lender is not None
    assert entry.text("pl") == lender.text("pl")
    assert CATALOG.get("alpitronic-hyc", "71").text("it") == CATALOG.get(
        "alpitronic-hyc", "1").text("it")


def test_a_pack_does_not_read_another_makers_codes() -> None:
    assert "alpitronic-hyc:15" not in refs(decode_text(ALPI_15, charger_vendor="Alfen BV"))


def test_everest_types_read_as_their_mrec_code_in_every_language() -> None:
    decoded = decode_text(EVEREST_201)
    assert refs(decoded) == ["everest-mrec:evse_board_support/MREC2GroundFailure"]
    entry = decoded.faults[0].entry
    cx002 = CATALOG.get("chargex-mrec", "CX002")
    assert entry is not None and cx002 is not None
    assert entry.text_from == "chargex-mrec:CX002"
    for lang in LANGS:
        assert entry.text(lang) == cx002.text(lang)
    assert entry.severity == cx002.severity


def test_a_search_for_words_still_puts_the_standards_first() -> None:
    found = [e.ref for e in CATALOG.search("ground fault")]
    assert not found[0].startswith("everest-mrec:")
    assert CATALOG.resolve("evse_board_support/MREC2GroundFailure")


def test_decode_cli_takes_the_vendor_from_the_option_or_a_boot(tmp_path: Any) -> None:
    log = tmp_path / "alfen.log"
    boot = ('[2,"1","BootNotification",{"chargePointVendor":"Alfen BV",'
            '"chargePointModel":"Eve Single"}]')
    log.write_text(boot + "\n" + ALFEN_210 + "\n")
    runner = CliRunner()
    result = runner.invoke(app, ["decode", str(log), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [f["scheme"] for f in lines[1]["faults"]] == ["alfen"]
    only = tmp_path / "only.log"
    only.write_text(ALFEN_210 + "\n")
    given = runner.invoke(app, ["decode", str(only), "--json", "--charger-vendor", "Alfen BV"])
    assert json.loads(given.output)["faults"][0]["scheme"] == "alfen"
    bare = runner.invoke(app, ["decode", str(only), "--json"])
    assert json.loads(bare.output)["faults"][0]["scheme"] == "unknown"


async def test_the_live_server_reads_a_chargers_codes_by_its_boot_vendor(
    start_server: Any,
) -> None:
    """An Alfen (the `ocpp` package's ChargePoint) boots, then sends 210 without a vendorId:
    the incident is Alfen's 210, and the driver's page explains it in German."""
    import httpx

    from accounts import api_token
    from chargers import boot16, charger16, send_status16

    server = await start_server()
    async with charger16(server.address.ocpp, "ALFEN-1") as cp:
        await boot16(cp, vendor="Alfen BV", model="NG9xx")
        await send_status16(cp, connectorId=0, errorCode="OtherError", status="Available",
                            vendorErrorCode="210",
                            info="Modbus TCP/IP lost, in safe mode max 14.0A")
        token = await api_token(server)
        async with httpx.AsyncClient(base_url=server.address.http) as client:
            active = await client.get("/api/v1/errors/active",
                                      headers={"authorization": f"Bearer {token}"})
            [error] = active.json()["errors"]
            assert (error["scheme"], error["code"]) == ("alfen", "210")
            page = (await client.get("/c/ALFEN-1/status.json?lang=de")).json()
            [explained] = page["charger_errors"]
            assert explained["title"] == CATALOG.get("alfen", "210").text("de").title
            assert page["connectors"][0]["state"] == "ready"  # a warning: it still charges


async def test_the_decode_api_takes_the_chargers_vendor(sqlite_url: str) -> None:
    from evfault.web.app import create_app
    from test_web_support import client_for, services_for, start_store

    store = await start_store(sqlite_url)
    async with client_for(create_app(services_for(store)), role=None) as client:
        given = await client.post("/api/v1/decode?charger_vendor=Alfen%20BV", content=ALFEN_210)
        assert [f["scheme"] for f in given.json()["faults"]] == ["alfen"]
        bare = await client.post("/api/v1/decode", content=ALFEN_210)
        assert [f["scheme"] for f in bare.json()["faults"]] == ["unknown"]
        boot = '[2,"1","BootNotification",{"chargePointVendor":"Alfen BV","chargePointModel":"x"}]'
        logged = await client.post("/api/v1/decode", content=boot + "\n" + ALFEN_210)
        assert [f["scheme"] for f in logged.json()["faults"]] == ["alfen"]
    await store.close()


async def test_the_help_page_says_when_a_code_is_only_observed(sqlite_url: str) -> None:
    from evfault.web.app import create_app
    from evfault.web.i18n import default_strings
    from test_web_support import client_for, services_for, start_store

    words = default_strings()
    store = await start_store(sqlite_url)
    async with client_for(create_app(services_for(store)), role=None) as client:
        observed = await client.get("/help/alfen/210?lang=nl")
        assert observed.status_code == 200
        assert words["nl"]("observed.note") in observed.text
        confirmed = await client.get("/help/alpitronic-hyc/15?lang=nl")
        assert 'id="observed"' not in confirmed.text
        api = (await client.get("/api/v1/codes/ctek/NoPPDetected")).json()
        assert api["observed"] is True and api["source"]["url"]
    await store.close()


def test_a_code_guessed_from_its_shape_yields_to_the_makers_pack() -> None:
    """Without a vendorId, "F001" looks like EVgo's by its shape; a maker whose pack has the code
    reads it as its own, and a maker without one leaves the guess (marked guessed) alone."""
    from dataclasses import replace

    from evfault.catalog.catalog import Catalog
    from evfault.catalog.model import Scheme

    frame = ALPI_15.replace('"15"', '"F001"')
    guessed = decode_text(frame, charger_vendor="alpitronic GmbH")
    assert refs(guessed) == ["evgo-mrec:F001"] and guessed.faults[0].guessed
    lock = CATALOG.get("alpitronic-hyc", "15")
    assert lock is not None
    maker = Scheme("acme", "Acme", (), lock.source, charge_point_vendors=("Acme",))
    catalog = Catalog([*CATALOG.schemes.values(), maker],
                      [*CATALOG.entries, replace(lock, scheme="acme", code="F001")])
    mine = with_charger_vendor(decode_text(frame), catalog, "Acme Charging")
    assert refs(mine) == ["acme:F001"] and not mine.faults[0].guessed
