"""End to end: a real evfault server on port 0, driven by the `ocpp` package's ChargePoint.

Every test runs against SQLite and PostgreSQL (the `db_url` fixture behind `start_server`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from chargers import (
    boot16,
    boot201,
    charger16,
    charger201,
    sample_frames,
    send_status16,
    status16,
)
from evfault.tracking.model import Incident

pytestmark = pytest.mark.slow

EVGO = "com.evgo.mrec"
CHARGEX = "https://chargex.inl.gov"
# The reading each EVgo sample carries (code → value); the other codes carry none.
EVGO_READINGS = {"F000": 2.0, "F001": 1.11, "F002": 7.0, "F003": 5.0, "F006": 20.0,
                 "F007": 10.0, "F008": 70.0, "F009": 96.0}


async def active(server: Any, charger_id: str) -> list[Incident]:
    return list(await server.services.store.active_incidents(charger_id))


async def wait_for(predicate: Any) -> None:
    """Poll an async predicate (timers inside the server drive offline and reboot changes).

    The bound is generous: on a busy machine the server's timers and writes run late."""
    async with asyncio.timeout(60):
        while not await predicate():  # noqa: ASYNC110 - polls the database, not an event
            await asyncio.sleep(0.05)


async def test_boot_16_is_accepted_and_the_charger_is_recorded(start_server: Any) -> None:
    server = await start_server(heartbeat_interval=42)
    async with charger16(server.address.ocpp, "CP-BOOT") as cp:
        answer = await boot16(cp, vendor="Acme", model="DC-150")
        assert answer.status == "Accepted"
        assert answer.interval == 42
    charger = await server.services.store.charger("CP-BOOT")
    assert charger is not None
    assert (charger.vendor, charger.model, charger.protocol) == ("Acme", "DC-150", "1.6")


async def test_boot_201_is_accepted(start_server: Any) -> None:
    server = await start_server(heartbeat_interval=30)
    async with charger201(server.address.ocpp, "CS-BOOT") as cs:
        answer = await boot201(cs, vendor="Volt", model="X2")
        assert answer.status == "Accepted"
        assert answer.interval == 30
    charger = await server.services.store.charger("CS-BOOT")
    assert charger is not None and charger.protocol == "2.0.1" and charger.vendor == "Volt"


async def test_every_evgo_sample_opens_exactly_its_codes(start_server: Any) -> None:
    server = await start_server()
    for i, frame in enumerate(sample_frames("evgo_mrec.jsonl")):
        payload = frame[3]
        charger_id = f"CP-S{i}"
        async with charger16(server.address.ocpp, charger_id) as cp:
            await boot16(cp)
            await cp.call(status16(payload))
        incidents = await active(server, charger_id)
        codes = payload["vendorErrorCode"].split(",")
        assert sorted(i.code for i in incidents) == sorted(codes)
        for incident in incidents:
            assert incident.scheme == "evgo-mrec"
            assert incident.connector_id == payload["connectorId"]
            assert incident.reading_value == EVGO_READINGS.get(incident.code)


async def test_compound_set_that_shrinks_then_no_error(start_server: Any) -> None:
    server = await start_server()
    store = server.services.store
    async with charger16(server.address.ocpp, "CP-COMP") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="OtherError", status="Finishing", vendorId=EVGO,
                            vendorErrorCode="F001,F003", info="1.11,5.00",
                            timestamp="2026-01-10T14:51:17Z")
        first = {i.code: i for i in await active(server, "CP-COMP")}
        assert set(first) == {"F001", "F003"}
        assert (first["F001"].reading_value, first["F001"].reading_unit) == (1.11, "VDC")
        await send_status16(cp, errorCode="OtherError", status="Faulted", vendorId=EVGO,
                            vendorErrorCode="F003", info="5.10")
        second = {i.code: i for i in await active(server, "CP-COMP")}
        assert set(second) == {"F003"}
        assert second["F003"].id == first["F003"].id  # continued, not duplicated
        await send_status16(cp, errorCode="NoError", status="Available")
        assert await active(server, "CP-COMP") == []
    history = {i.code: i for i in await store.incidents(_query("CP-COMP"))}
    assert history["F001"].cleared_by.value == "replaced"
    assert history["F003"].cleared_by.value == "NoError"


async def test_repeated_notifications_continue_one_incident(start_server: Any) -> None:
    server = await start_server()
    async with charger16(server.address.ocpp, "CP-REP") as cp:
        await boot16(cp)
        for _ in range(3):
            await send_status16(cp, errorCode="GroundFailure", status="Faulted")
    incidents = await active(server, "CP-REP")
    assert [(i.scheme, i.code, i.reports) for i in incidents] == [("ocpp1.6", "GroundFailure", 3)]


async def test_chargex_codes_and_one_at_a_time_clears(start_server: Any) -> None:
    server = await start_server()
    async with charger16(server.address.ocpp, "CP-CX") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="UnderVoltage", status="Faulted", vendorId=CHARGEX,
                            vendorErrorCode="CX006", info="0")
        await send_status16(cp, errorCode="GroundFailure", status="Faulted", vendorId=CHARGEX,
                            vendorErrorCode="CX002")
        codes = sorted((i.scheme, i.code) for i in await active(server, "CP-CX"))
        assert codes == [("chargex-mrec", "CX002"), ("chargex-mrec", "CX006")]  # one each
        await send_status16(cp, errorCode="UnderVoltage", status="Faulted", vendorId=CHARGEX,
                            vendorErrorCode="CX002", info="Error CX002 resolved")
        assert [i.code for i in await active(server, "CP-CX")] == ["CX006"]


async def test_chargex_malformed_timestamp_is_accepted_and_flagged(start_server: Any) -> None:
    server = await start_server()
    async with charger16(server.address.ocpp, "CP-TS") as cp:
        await boot16(cp)
        answer = await send_status16(cp, errorCode="OtherError", status="Faulted",
                                     vendorId=CHARGEX, vendorErrorCode="CX019", info="105",
                                     timestamp="2023-09-06T00-08-09Z")
        assert answer is not None
    [incident] = await active(server, "CP-TS")
    assert incident.code == "CX019" and incident.time_flagged
    assert incident.opened_at == incident.opened_received_at


async def test_warning_with_non_faulted_status(start_server: Any) -> None:
    server = await start_server()
    async with charger16(server.address.ocpp, "CP-WARN") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="EVCommunicationError", status="SuspendedEVSE")
    [incident] = await active(server, "CP-WARN")
    assert incident.warning_only


async def test_reboot_clears_what_is_not_reported_again(start_server: Any) -> None:
    server = await start_server(reboot_window=0.3)
    async with charger16(server.address.ocpp, "CP-RB1") as gone, \
            charger16(server.address.ocpp, "CP-RB2") as stays:
        for cp in (gone, stays):
            await boot16(cp)
            await send_status16(cp, errorCode="OtherError", status="Faulted", vendorId=EVGO,
                                vendorErrorCode="F009", info="96")
        before = (await active(server, "CP-RB2"))[0]
        await boot16(gone)
        await boot16(stays)
        await send_status16(stays, errorCode="OtherError", status="Faulted", vendorId=EVGO,
                            vendorErrorCode="F009", info="97")

        async def rebooted() -> bool:
            return not await active(server, "CP-RB1")

        await wait_for(rebooted)
    [cleared] = await server.services.store.incidents(_query("CP-RB1"))
    assert cleared.cleared_by.value == "reboot"
    [after] = await active(server, "CP-RB2")
    assert after.id == before.id and after.reading_value == 97.0


async def test_offline_after_grace_and_back_online(start_server: Any) -> None:
    server = await start_server(offline_grace=0.3)
    store = server.services.store
    async with charger16(server.address.ocpp, "CP-OFF") as cp:
        await boot16(cp)

    async def offline() -> bool:
        charger = await store.charger("CP-OFF")
        return charger is not None and not charger.online

    await wait_for(offline)
    charger = await store.charger("CP-OFF")
    assert charger is not None and charger.offline_since is not None
    async with charger16(server.address.ocpp, "CP-OFF") as cp:
        await cp.call(call16.Heartbeat())
        charger = await store.charger("CP-OFF")
        assert charger is not None and charger.online


async def test_201_notify_event_opens_and_clears(start_server: Any) -> None:
    server = await start_server()
    async with charger201(server.address.ocpp, "CS-EV") as cs:
        await boot201(cs)
        await cs.call(_notify("CX011", cleared=False))
        [incident] = await active(server, "CS-EV")
        assert (incident.scheme, incident.code, incident.connector_id) == (
            "chargex-mrec", "CX011", 1)
        await cs.call(_notify("CX011", cleared=True))
        assert await active(server, "CS-EV") == []


async def test_active_incidents_survive_a_restart(start_server: Any) -> None:
    server = await start_server()
    async with charger16(server.address.ocpp, "CP-KEEP") as cp:
        await boot16(cp)
        await send_status16(cp, errorCode="HighTemperature", status="Faulted")
    [before] = await active(server, "CP-KEEP")
    await server.stop()
    again = await start_server(db=server.settings.db)
    async with charger16(again.address.ocpp, "CP-KEEP") as cp:
        await send_status16(cp, errorCode="HighTemperature", status="Faulted")
    [after] = await active(again, "CP-KEEP")
    assert after.id == before.id and after.reports == 2


def _notify(code: str, cleared: bool) -> call201.NotifyEvent:
    return call201.NotifyEvent(generated_at="2026-01-01T00:00:00Z", seq_no=0, event_data=[{
        "event_id": 1, "timestamp": "2026-01-01T00:00:00Z", "trigger": "Alerting",
        "actual_value": "false" if cleared else "true", "tech_code": code,
        "tech_info": "cable check failed", "cleared": cleared,
        "event_notification_type": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
        "variable": {"name": "Problem"},
    }])


def _query(charger_id: str) -> Any:
    from evfault.store.model import IncidentQuery

    return IncidentQuery(charger_id=charger_id)


async def test_nodes_sharing_a_database_hand_chargers_over(start_server: Any) -> None:
    # A silence limit of 3 s: short enough to pass within the test, long enough that a busy
    # machine's slow heartbeat round trip is not silence.
    fast_silence = {"heartbeat_interval": 1, "silence_heartbeats": 3.0}
    a = await start_server(node="A", **fast_silence)
    async with charger16(a.address.ocpp, "CP-STAY") as stay:
        await boot16(stay)
        async with charger16(a.address.ocpp, "CP-MOVE") as cp:
            await boot16(cp)
            await send_status16(cp, errorCode="OtherError", status="Faulted", vendorId=EVGO,
                                vendorErrorCode="F009", info="96")
            [before] = await active(a, "CP-MOVE")
            b = await start_server(db=a.settings.db, node="B", **fast_silence)
        async with charger16(b.address.ocpp, "CP-MOVE") as cp:  # moves within A's grace
            await send_status16(cp, errorCode="OtherError", status="Faulted", vendorId=EVGO,
                                vendorErrorCode="F009", info="97")
            [after] = await active(b, "CP-MOVE")
            assert after.id == before.id and after.reports == 2  # B took the incident over
            loop = asyncio.get_running_loop()
            until = loop.time() + 4.0  # past A's grace and either node's silence limit
            while loop.time() < until:
                await stay.call(call16.Heartbeat())
                await cp.call(call16.Heartbeat())
                await asyncio.sleep(0.1)
            store = b.services.store
            moved, stayed = await store.charger("CP-MOVE"), await store.charger("CP-STAY")
            assert moved is not None and moved.online, "A marked a charger B holds offline"
            assert stayed is not None and stayed.online, "B judged a charger A holds"
