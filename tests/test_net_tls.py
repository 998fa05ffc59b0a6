"""wss:// and https:// on one port; client certificates (OCPP security profile 3) reach the gate."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest
import websockets
from ocpp.v16 import ChargePoint
from ocpp.v16 import call as call16

from certs import Authority
from evfault.errors import UserError
from evfault.server import Server
from evfault.settings import Settings
from net_support import FAST, RecordingGate, running

pytestmark = pytest.mark.slow


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, object]:
    ca = Authority(tmp_path, "evfault-test-ca")
    foreign = Authority(tmp_path, "someone-elses-ca")
    return {
        "ca": ca, "server": ca.issue("127.0.0.1", server=True),
        "charger": ca.issue("CP-CERT", server=False),
        "foreign": foreign.issue("CP-CERT", server=False),
    }


def tls_settings(pki: dict[str, object]) -> dict[str, str]:
    server, ca = pki["server"], pki["ca"]
    return {"tls_cert": str(server.cert), "tls_key": str(server.key),  # type: ignore[attr-defined]
            "tls_client_ca": str(ca.issued.cert)}  # type: ignore[attr-defined]


def client_context(pki: dict[str, object], cert: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["ca"].issued.cert))  # type: ignore[attr-defined]
    if cert is not None:
        issued = pki[cert]
        context.load_cert_chain(str(issued.cert), str(issued.key))  # type: ignore[attr-defined]
    return context


async def test_wss_with_the_ocpp_package_and_a_client_certificate(tmp_path: Path,
                                                                  pki: dict[str, object]) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate, **tls_settings(pki)) as server:
        assert server.address.ocpp.startswith("wss://")
        assert server.address.http.startswith("https://")
        async with websockets.connect(f"{server.address.ocpp}/CP-CERT",
                                      subprotocols=["ocpp1.6"],
                                      ssl=client_context(pki, "charger")) as ws:
            cp = ChargePoint("CP-CERT", ws)
            task = asyncio.create_task(cp.start())
            boot = await cp.call(call16.BootNotification(charge_point_model="M",
                                                         charge_point_vendor="V"))
            assert boot.status == "Accepted"
            task.cancel()
        [seen] = gate.handshakes
        assert seen.tls and seen.client_certificate == "CP-CERT"


async def test_without_a_client_certificate_the_gate_sees_none(tmp_path: Path,
                                                              pki: dict[str, object]) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate, **tls_settings(pki)) as server:
        async with websockets.connect(f"{server.address.ocpp}/CP-PW", subprotocols=["ocpp1.6"],
                                      ssl=client_context(pki, None)) as ws:
            await ws.send('[2,"1","Heartbeat",{}]')
            assert (await asyncio.wait_for(ws.recv(), 30)).startswith("[3")
        [seen] = gate.handshakes
        assert seen.tls and seen.client_certificate is None
        # A browser without a certificate still reaches the dashboard over https.
        async with httpx.AsyncClient(verify=client_context(pki, None)) as client:
            response = await client.get(f"{server.address.http}/healthz")
            assert response.status_code == 200


async def test_a_certificate_from_another_ca_fails_the_handshake(tmp_path: Path,
                                                                 pki: dict[str, object]) -> None:
    gate = RecordingGate()
    async with running(tmp_path, gate, **tls_settings(pki)) as server:
        with pytest.raises((ssl.SSLError, ConnectionError, websockets.InvalidHandshake,
                            EOFError, OSError)):
            async with websockets.connect(f"{server.address.ocpp}/CP-CERT",
                                          subprotocols=["ocpp1.6"],
                                          ssl=client_context(pki, "foreign")) as ws:
                await ws.send('[2,"1","Heartbeat",{}]')
                await asyncio.wait_for(ws.recv(), 30)
        assert gate.handshakes == []  # never reached the gate as anyone


async def test_tls_files_that_cannot_be_used_are_one_sentence(tmp_path: Path) -> None:
    settings = Settings(**{**FAST, "db": f"sqlite:///{tmp_path / 'x.db'}",
                           "tls_cert": str(tmp_path / "missing.pem")})
    with pytest.raises(UserError, match="--tls-key"):
        await Server(settings).start()
    settings = Settings(**{**FAST, "db": f"sqlite:///{tmp_path / 'x.db'}",
                           "tls_cert": str(tmp_path / "missing.pem"),
                           "tls_key": str(tmp_path / "missing.key")})
    with pytest.raises(UserError, match="cannot use the TLS files"):
        await Server(settings).start()
