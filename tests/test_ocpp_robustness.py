"""Bad input from a charger: the right CALLERROR, the connection stays up, others never notice."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.v16 import call as call16

from chargers import boot16, charger16

pytestmark = pytest.mark.slow

HEARTBEAT = '[2,"hb","Heartbeat",{}]'


async def exchange(ws: Any, frame: str) -> list[Any]:
    await ws.send(frame)
    return json.loads(await asyncio.wait_for(ws.recv(), 30))  # type: ignore[no-any-return]


async def raw(server: Any, charger_id: str, protocol: str = "ocpp1.6") -> Any:
    return await websockets.connect(f"{server.address.ocpp}/{charger_id}",
                                    subprotocols=[protocol])


@pytest.mark.parametrize(("frame", "code"), [
    ("this is not json", "FormationViolation"),
    ('{"not": "an array"}', "FormationViolation"),
    ('[2, "m1", "NoSuchAction", {}]', "NotImplemented"),
    ('[2, "m2", "Reset", {"type": "Hard"}]', "NotSupported"),
    ('[2, "m3", "StatusNotification", {"errorCode": "NoError", "status": "Available"}]',
     "OccurenceConstraintViolation"),
    ('[2, "m4", "StatusNotification", {"connectorId": "1", "errorCode": "NoError",'
     ' "status": "Available"}]', "TypeConstraintViolation"),
    ('[2, "m5", "Heartbeat", []]', "FormationViolation"),
    ('[2, "m6", "Heartbeat"]', "FormationViolation"),
    ('[9, "m7", "Heartbeat", {}]', "FormationViolation"),
])
async def test_malformed_frames_get_the_right_callerror(start_server: Any, frame: str,
                                                        code: str) -> None:
    server = await start_server()
    async with await raw(server, "CP-BAD") as ws:
        answer = await exchange(ws, frame)
        assert answer[0] == 4 and answer[2] == code
        assert (await exchange(ws, HEARTBEAT))[0] == 3  # the connection stays up


async def test_201_spells_format_violation_its_own_way(start_server: Any) -> None:
    server = await start_server()
    async with await raw(server, "CS-BAD", "ocpp2.0.1") as ws:
        answer = await exchange(ws, '[2, "x", "Heartbeat", "not an object"]')
        assert answer[2] == "FormatViolation"


async def test_201_answers_an_unknown_message_type_message_type_not_supported(
        start_server: Any) -> None:
    server = await start_server()
    async with await raw(server, "CS-TYPE", "ocpp2.0.1") as ws:
        answer = await exchange(ws, '[7, "t1", {}]')
        assert answer[:3] == [4, "t1", "MessageTypeNotSupported"]
        assert (await exchange(ws, HEARTBEAT))[0] == 3  # the connection stays up


async def test_off_spec_error_code_is_accepted_and_recorded(start_server: Any) -> None:
    server = await start_server()
    async with await raw(server, "CP-ODD") as ws:
        frame = json.dumps([2, "o1", "StatusNotification", {
            "connectorId": 1, "errorCode": "Error", "status": "Faulted"}])
        assert (await exchange(ws, frame))[0] == 3
    incidents = await server.services.store.active_incidents("CP-ODD")
    assert [i.code for i in incidents] == ["Error"]


async def test_no_subprotocol_is_served_as_16(start_server: Any) -> None:
    server = await start_server()
    async with websockets.connect(f"{server.address.ocpp}/CP-NOSUB") as ws:
        assert (await exchange(ws, HEARTBEAT))[0] == 3


async def test_no_subprotocol_refused_when_required(start_server: Any) -> None:
    server = await start_server(require_subprotocol=True)
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(f"{server.address.ocpp}/CP-NOSUB"):
            pass


@pytest.mark.parametrize("charger_id", ["a" * 49, "bad%20id", "semi%3Bcolon"])
async def test_bad_charger_ids_are_refused(start_server: Any, charger_id: str) -> None:
    server = await start_server()
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(f"{server.address.ocpp}/{charger_id}",
                                      subprotocols=["ocpp1.6"]):
            pass


async def test_url_encoded_id_is_decoded(start_server: Any) -> None:
    server = await start_server()
    async with await raw(server, "CP%2D7") as ws:
        assert (await exchange(ws, HEARTBEAT))[0] == 3
    assert await server.services.store.charger("CP-7") is not None


async def test_second_connection_replaces_the_first(start_server: Any) -> None:
    server = await start_server()
    first = await raw(server, "CP-TWICE")
    async with await raw(server, "CP-TWICE") as second:
        assert (await exchange(second, HEARTBEAT))[0] == 3
        await asyncio.wait_for(first.wait_closed(), 30)
        assert server.central.sessions["CP-TWICE"] is not None
    charger = await server.services.store.charger("CP-TWICE")
    assert charger is not None and charger.online  # a replacement is not an outage


frames = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.integers(), st.text(max_size=20), st.none(),
                       st.dictionaries(st.text(max_size=10), st.integers(), max_size=3)),
             max_size=6).map(json.dumps),
    st.builds(lambda mid, action, payload: json.dumps([2, mid, action, payload]),
              st.text(max_size=40),
              st.sampled_from(["StatusNotification", "BootNotification", "Heartbeat",
                               "MeterValues", "Bogus"]),
              st.dictionaries(st.sampled_from(["connectorId", "errorCode", "status", "info",
                                               "vendorErrorCode", "timestamp", "x"]),
                              st.one_of(st.integers(), st.text(max_size=60), st.none()),
                              max_size=6)),
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(frames, min_size=1, max_size=8))
async def test_malformed_storm_never_disturbs_other_chargers(start_server: Any,
                                                             batch: list[str]) -> None:
    # One server for every example: it must survive the whole storm.
    server = getattr(start_server, "fuzz_server", None)
    if server is None:
        server = await start_server()
        start_server.fuzz_server = server
    async with await raw(server, "CP-FUZZ") as bad, \
            charger16(server.address.ocpp, "CP-GOOD") as good:
        await boot16(good)
        for frame in batch:
            await bad.send(frame)
            answer = json.loads(await asyncio.wait_for(bad.recv(), 30))
            assert answer[0] in (3, 4)
            beat = await good.call(call16.Heartbeat())
            assert beat.current_time
