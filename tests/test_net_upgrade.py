"""The rules of an OCPP upgrade request, decided from its head alone."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.net.upgrade import (
    Refused,
    Upgrade,
    basic_credentials,
    check_upgrade,
    origin_matches,
)
from evfault.ocpp.admission import RefusalReason

KEY = base64.b64encode(b"0123456789abcdef").decode()


def head(protocols: str | None = "ocpp1.6", **extra: str) -> list[tuple[bytes, bytes]]:
    headers = {"host": "127.0.0.1:8180", "upgrade": "websocket", "connection": "Upgrade",
               "sec-websocket-version": "13", "sec-websocket-key": KEY, **extra}
    if protocols is not None:
        headers["sec-websocket-protocol"] = protocols
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def decide(path: str, headers: list[tuple[bytes, bytes]], require: bool = False,
           tls: bool = False) -> Refused | Upgrade:
    return check_upgrade("GET", path, headers, tls=tls, max_id_length=48,
                         require_subprotocol=require)


@pytest.mark.parametrize(("offered", "answer", "version"), [
    ("OCPP1.6", "OCPP1.6", "1.6"),
    ("ocpp1.6", "ocpp1.6", "1.6"),
    ("Ocpp2.0.1, ocpp1.6", "Ocpp2.0.1", "2.0.1"),
    ("ocpp2.1, OCPP1.6", "OCPP1.6", "1.6"),
])
def test_subprotocol_answered_exactly_as_offered(offered: str, answer: str, version: str) -> None:
    decision = decide("/ocpp/CP1", head(offered))
    assert isinstance(decision, Upgrade)
    assert (decision.subprotocol, decision.version) == (answer, version)


def test_no_subprotocol_is_16_unless_required() -> None:
    decision = decide("/ocpp/CP1", head(None))
    assert isinstance(decision, Upgrade) and decision.version == "1.6"
    assert decision.subprotocol is None
    refused = decide("/ocpp/CP1", head(None), require=True)
    assert isinstance(refused, Refused) and refused.reason is RefusalReason.BAD_SUBPROTOCOL


def test_only_unknown_subprotocols_are_refused() -> None:
    refused = decide("/ocpp/CP1", head("ocpp1.5, wamp"))
    assert isinstance(refused, Refused) and refused.status == 400
    assert refused.reason is RefusalReason.BAD_SUBPROTOCOL and "ocpp1.5" in refused.message


@pytest.mark.parametrize("path", ["/ocpp/..", "/ocpp/.", "/ocpp/%2E%2E", "/ocpp/a/b",
                                  "/ocpp/a%2Fb", "/ocpp/", "/ocpp/bad%20id", "/ocpp/%ff"])
def test_bad_ids_are_refused_as_bad_id(path: str) -> None:
    refused = decide(path, head())
    assert isinstance(refused, Refused) and refused.status == 400
    assert refused.reason is RefusalReason.BAD_ID
    assert "\n" not in refused.message


def test_url_encoded_id_is_decoded() -> None:
    decision = decide("/ocpp/CP%2D7", head())
    assert isinstance(decision, Upgrade) and decision.charger_id == "CP-7"


def test_foreign_origin_is_refused_and_own_origin_accepted() -> None:
    refused = decide("/ocpp/CP1", head(origin="https://evil.example"))
    assert isinstance(refused, Refused) and refused.status == 403
    assert refused.reason is RefusalReason.BAD_ORIGIN
    assert isinstance(decide("/ocpp/CP1", head(origin="http://127.0.0.1:8180")), Upgrade)
    assert isinstance(decide("/ocpp/CP1", head(origin="null")), Refused)


def test_origin_matching_knows_default_ports() -> None:
    assert origin_matches("https://csms.example", "csms.example:443", tls=True)
    assert origin_matches("http://CSMS.example", "csms.example", tls=False)
    assert not origin_matches("http://csms.example:8080", "csms.example", tls=False)
    assert not origin_matches("http://csms.example", None, tls=False)


def test_websocket_head_rules() -> None:
    wrong_version = decide("/ocpp/CP1", head(**{"sec-websocket-version": "8"}))
    assert isinstance(wrong_version, Refused) and wrong_version.status == 426
    assert ("Sec-WebSocket-Version", "13") in wrong_version.headers
    bad_key = decide("/ocpp/CP1", head(**{"sec-websocket-key": "short"}))
    assert isinstance(bad_key, Refused) and bad_key.status == 400
    post = check_upgrade("POST", "/ocpp/CP1", head(), tls=False, max_id_length=48,
                         require_subprotocol=False)
    assert isinstance(post, Refused) and post.status == 405
    elsewhere = decide("/ws", head())
    assert isinstance(elsewhere, Refused) and elsewhere.status == 404


def test_accept_key_is_the_rfc_example() -> None:
    # RFC 6455 §1.3: key dGhlIHNhbXBsZSBub25jZQ== is answered s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
    decision = decide("/ocpp/CP1", head(**{"sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="}))
    assert isinstance(decision, Upgrade)
    assert decision.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_basic_credentials() -> None:
    encoded = base64.b64encode(b"CP1:s3cret:with:colons").decode()
    decision = decide("/ocpp/CP1", head(authorization=f"Basic {encoded}"))
    assert isinstance(decision, Upgrade)
    assert (decision.basic_user, decision.basic_password) == ("CP1", "s3cret:with:colons")
    assert basic_credentials("Bearer abc") == (None, None)
    assert basic_credentials("Basic !!!") == (None, None)
    assert basic_credentials(None) == (None, None)


@given(st.text(max_size=60))
def test_any_path_is_decided_without_crashing(tail: str) -> None:
    decision = decide("/ocpp/" + tail, head())
    if isinstance(decision, Upgrade):
        assert decision.charger_id and "/" not in decision.charger_id
        assert decision.charger_id not in (".", "..")
