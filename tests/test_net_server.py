"""evfault's own transport end to end: real sockets, the `ocpp` package's ChargePoint, raw bytes."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import httpx
import pytest
import websockets
from ocpp.v16 import call as call16

from accounts import api_token
from chargers import boot16, charger16
from evfault.ocpp.admission import Admission, RefusalReason, Registration
from net_support import (
    RecordingGate,
    exchange,
    running,
    status_and_body,
    upgrade_request,
    wait_until,
)

HEARTBEAT = '[2,"hb","Heartbeat",{}]'


async def test_subprotocol_is_answered_exactly_as_the_charger_spelled_it(tmp_path: Path) -> None:
    async with running(tmp_path) as server, websockets.connect(
            f"{server.address.ocpp}/CP-UPPER", subprotocols=["OCPP1.6"]) as ws:
        assert ws.subprotocol == "OCPP1.6"  # websockets itself rejects any other spelling
        await ws.send(HEARTBEAT)
        assert json.loads(await asyncio.wait_for(ws.recv(), 30))[0] == 3
        assert server.central is not None
        assert server.central.sessions["CP-UPPER"].version == "1.6"


async def test_an_over_long_request_line_gets_414_at_once(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        # Sent without the end of the head: the answer must come without waiting for one.
        request = b"GET /ocpp/" + b"A" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n"
        status, body = status_and_body(await exchange(server.address.port, request))
        assert status == 414
        assert body.count("\n") == 1 and "request line" in body


async def test_too_many_or_too_large_headers_get_431(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        many = "".join(f"X-H{i}: v\r\n" for i in range(150))
        request = f"GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode()
        assert status_and_body(await exchange(server.address.port, request))[0] == 431
        big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40_000 + b"\r\n"
        assert status_and_body(await exchange(server.address.port, big))[0] == 431


async def test_a_foreign_browser_origin_is_refused_403_and_counted(tmp_path: Path) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate) as server:
        request = upgrade_request("/ocpp/CP-1", origin="https://evil.example")
        status, body = status_and_body(await exchange(server.address.port, request))
        assert status == 403 and body.count("\n") == 1 and "origin" in body
        [refusal] = gate.refusals.recent()
        assert (refusal.charger_id, refusal.reason) == ("CP-1", RefusalReason.BAD_ORIGIN)
        assert gate.handshakes == []  # refused before the gate was asked


@pytest.mark.parametrize("path", ["/ocpp/..", "/ocpp/%2e%2e", "/ocpp/a%2Fb", "/ocpp/a/b"])
async def test_dot_dot_and_slashes_are_refused_as_bad_id(tmp_path: Path, path: str) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate) as server:
        status, body = status_and_body(await exchange(server.address.port,
                                                      upgrade_request(path)))
        assert status == 400 and body.count("\n") == 1
        assert [r.reason for r in gate.refusals.recent()] == [RefusalReason.BAD_ID]


async def test_unknown_subprotocol_is_refused_with_a_reason(tmp_path: Path) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate) as server:
        request = upgrade_request("/ocpp/CP-2", protocol="ocpp1.5")
        status, body = status_and_body(await exchange(server.address.port, request))
        assert status == 400 and "ocpp1.5" in body
        assert gate.refusals.recent()[0].reason is RefusalReason.BAD_SUBPROTOCOL


async def test_the_gate_sees_basic_credentials_and_its_refusal_is_answered(
        tmp_path: Path) -> None:
    def rule(handshake: object) -> Admission:
        return Admission.refuse(401, RefusalReason.BAD_PASSWORD, "wrong password for CP-3")

    gate = RecordingGate(rule)
    async with running(tmp_path, gate) as server:
        auth = base64.b64encode(b"CP-3:nope").decode()
        request = upgrade_request("/ocpp/CP-3", authorization=f"Basic {auth}")
        response = await exchange(server.address.port, request)
        status, body = status_and_body(response)
        assert status == 401 and body == "wrong password for CP-3\n"
        assert b'www-authenticate: Basic realm="evfault"' in response
        [seen] = gate.handshakes
        assert (seen.charger_id, seen.basic_user, seen.basic_password, seen.tls) == \
            ("CP-3", "CP-3", "nope", False)
        assert seen.address == "127.0.0.1"
        assert server.central is not None and "CP-3" not in server.central.sessions


async def test_the_registration_reaches_the_session(tmp_path: Path) -> None:
    gate = RecordingGate(lambda h: Admission.allow(Registration.PENDING))
    async with running(tmp_path, gate) as server, \
            charger16(server.address.ocpp, "CP-PEND") as cp:
        await boot16(cp)
        assert server.central is not None
        assert server.central.sessions["CP-PEND"].registration is Registration.PENDING


async def test_websocket_ping_close_and_oversized_message(tmp_path: Path) -> None:
    async with running(tmp_path, max_message_size=4096) as server:
        async with websockets.connect(f"{server.address.ocpp}/CP-WS",
                                      subprotocols=["ocpp1.6"]) as ws:
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 30)
        assert ws.close_code == 1000  # the close handshake completed with our code
        async with websockets.connect(f"{server.address.ocpp}/CP-BIG",
                                      subprotocols=["ocpp1.6"], max_size=None) as ws:
            await ws.send("[" + " " * 5000 + "]")
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30)
        assert ws.close_code == 1009


async def test_fragmented_message_and_binary_frame_are_handled(tmp_path: Path) -> None:
    async with running(tmp_path) as server, websockets.connect(
            f"{server.address.ocpp}/CP-FRAG", subprotocols=["ocpp1.6"]) as ws:
        await ws.send(iter(['[2,"f1",', '"Heartbeat",', "{}]"]))
        assert json.loads(await asyncio.wait_for(ws.recv(), 30))[:2] == [3, "f1"]
        await ws.send(b'[2,"b1","Heartbeat",{}]')
        assert json.loads(await asyncio.wait_for(ws.recv(), 30))[:2] == [3, "b1"]


async def test_invalid_utf8_text_closes_1007(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.address.port)
        writer.write(upgrade_request("/ocpp/CP-UTF"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        assert head.startswith(b"HTTP/1.1 101")
        mask = b"\x00\x00\x00\x00"
        writer.write(b"\x81\x82" + mask + b"\xff\xfe")
        frame = await asyncio.wait_for(reader.read(), 30)
        assert frame[0] == 0x88 and int.from_bytes(frame[2:4], "big") == 1007
        writer.close()


async def test_sending_to_a_closed_connection_is_quiet(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    async with running(tmp_path) as server:
        async with charger16(server.address.ocpp, "CP-GONE") as cp:
            await boot16(cp)
            assert server.central is not None
            session = server.central.sessions["CP-GONE"]
        await wait_until(lambda: "CP-GONE" not in server.central.sessions)  # type: ignore[union-attr]
        with caplog.at_level(logging.DEBUG, logger="evfault"):
            await session._send('[3,"x",{}]')
        assert "not sent, the connection is closed" in caplog.text
        assert "Traceback" not in caplog.text


async def test_http_keep_alive_head_chunked_and_connection_close(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        port = server.address.port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        assert raw.count(b"HTTP/1.1 200 OK") == 3  # three answers on one connection, in order
        assert raw.rstrip().endswith(b"}")  # HEAD carried no body, the last GET did
        assert raw.count(b"{") == 2
        async with httpx.AsyncClient(base_url=server.address.http) as client:
            response = await client.post("/api/v1/decode", content=HEARTBEAT)
            assert response.status_code == 200 and response.json()["faults"] == []


async def test_http_10_and_expect_continue(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        port = server.address.port
        auth = b"Authorization: Bearer " + (await api_token(server)).encode() + b"\r\n"
        old = await exchange(port, b"GET /api/v1/events HTTP/1.0\r\n" + auth + b"\r\n",
                             read_until=b"hello")
        assert b"transfer-encoding" not in old and b"event: hello" in old
        frame = HEARTBEAT.encode()
        request = (b"POST /api/v1/decode HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                   b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(frame))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30) == \
            b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(frame)
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        assert status_and_body(answer)[0] == 200 and b'"faults":[]' in answer


async def test_a_request_body_over_the_limit_gets_413(tmp_path: Path) -> None:
    async with running(tmp_path, max_request_body=1000) as server:
        request = (b"POST /api/v1/decode HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
                   + b"x" * 5000)
        status, body = status_and_body(await exchange(server.address.port, request))
        assert status == 413 and "1000 bytes" in body
        chunked = (b"POST /api/v1/decode HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                   b"\r\n\r\n" + b"".join(b"200\r\n" + b"y" * 512 + b"\r\n" for _ in range(4)))
        assert status_and_body(await exchange(server.address.port, chunked))[0] == 413


async def test_stop_with_an_open_event_stream_is_prompt_and_clean(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running(tmp_path) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.address.port)
        writer.write(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + (await api_token(server)).encode() + b"\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"event: hello"), 30)
        assert b"text/event-stream" in head and b"transfer-encoding: chunked" in head
        with caplog.at_level(logging.WARNING):
            stopping = asyncio.ensure_future(server.stop())
            rest = await asyncio.wait_for(reader.read(), 30)  # the stream ends: EOF
            await asyncio.wait_for(stopping, 30)
        writer.close()
        assert rest.endswith(b"0\r\n\r\n") or rest == b"" or b"data" in rest
        assert "Exception in ASGI application" not in caplog.text
        assert "Traceback" not in caplog.text and not caplog.records


async def test_a_browser_that_leaves_ends_its_stream(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        assert server.app is not None
        streams = server.app.state.fanout.listeners
        reader, writer = await asyncio.open_connection("127.0.0.1", server.address.port)
        writer.write(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + (await api_token(server)).encode() + b"\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"event: hello"), 30)
        assert len(streams) == 1
        writer.close()
        await wait_until(lambda: len(streams) == 0)  # http.disconnect reached the stream


async def test_ocpp_package_chargepoint_end_to_end(tmp_path: Path) -> None:
    async with running(tmp_path) as server, \
            charger16(server.address.ocpp, "CP-E2E") as cp:
        boot = await boot16(cp)
        assert boot.status == "Accepted"
        beat = await cp.call(call16.Heartbeat())
        assert beat.current_time
        assert server.listener is not None and server.listener.websockets == 1


async def test_websocket_upgrade_elsewhere_is_404_with_one_line(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        status, body = status_and_body(await exchange(server.address.port,
                                                      upgrade_request("/api/v1/events")))
        assert status == 404 and body.count("\n") == 1 and "/ocpp/" in body


async def test_stopping_says_going_away_to_chargers(tmp_path: Path) -> None:
    async with running(tmp_path) as server:
        ws = await websockets.connect(f"{server.address.ocpp}/CP-BYE", subprotocols=["ocpp1.6"])
        await ws.send(HEARTBEAT)
        await asyncio.wait_for(ws.recv(), 30)
        await server.stop()
        await asyncio.wait_for(ws.wait_closed(), 30)
        assert ws.close_code == 1001
        charger = await _stored_charger(tmp_path, "CP-BYE")
        assert charger is not None and charger.last_seen is not None


async def _stored_charger(tmp_path: Path, charger_id: str) -> object:
    from evfault.store.sql import open_store

    store = open_store(f"sqlite:///{tmp_path / 'net.db'}")
    await store.start()
    try:
        return await store.charger(charger_id)
    finally:
        await store.close()


async def test_a_gate_that_never_answers_does_not_hold_the_connection(tmp_path: Path) -> None:
    class StuckGate(RecordingGate):
        async def admit(self, handshake: object) -> Admission:
            await asyncio.Event().wait()  # a registry that hangs
            raise AssertionError("unreachable")

    async with running(tmp_path, StuckGate(), header_timeout=0.5) as server:
        answer = await exchange(server.address.port, upgrade_request("/ocpp/CP-WAIT"))
        assert answer == b""  # cut after the header timeout, never upgraded
        assert server.listener is not None
        await wait_until(lambda: server.listener.connections == 0)  # type: ignore[union-attr]


async def test_a_part_that_holds_the_stop_is_named_in_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import evfault.server

    monkeypatch.setattr(evfault.server, "STOP_REPORT_S", 0.05)
    released = asyncio.Event()
    async with running(tmp_path) as server:
        assert server.alerts is not None
        stop_alerts = server.alerts.stop

        async def held() -> None:  # the alerts' stop waits until the test lets it go
            await released.wait()
            await stop_alerts()

        monkeypatch.setattr(server.alerts, "stop", held)
        with caplog.at_level(logging.WARNING, logger="evfault"):
            stopping = asyncio.create_task(server.stop())
            await wait_until(lambda: "still waiting for the alerts after" in caplog.text)
            assert not stopping.done()
            released.set()
            await stopping
        assert server.listener is not None and server.listener.connections == 0
