"""The gate's rules with Handshake values (profiles 0-3, unknown ids, takeovers) and the pure
counters behind it; no server, no database."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.auth import passwords
from evfault.auth.counters import FlapDetector, LoginLimiter, RefusalCounter
from evfault.auth.decide import may_replace
from evfault.auth.gate import MAX_PENDING, RegistryGate
from evfault.auth.model import ChargerEntry, Role, UnknownChargers
from evfault.auth.passwords import VerifiedCache, hash_password, password_problem
from evfault.auth.sessions import SessionSigner
from evfault.net.upgrade import basic_credentials
from evfault.ocpp.admission import Admission, Handshake, RefusalReason, Registration

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SECRET = "a-charger-password-of-some-length"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class CountingVerify:
    """argon2's verify, counted: the cache must keep it to once per charger and password."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, stored: str, password: str) -> bool:
        self.calls += 1
        return passwords.verify_password(stored, password)


def gate(policy: UnknownChargers = UnknownChargers.PENDING, *entries: ChargerEntry,
         connected: set[str] | None = None) -> tuple[RegistryGate, CountingVerify]:
    verify = CountingVerify()
    made = RegistryGate(policy, Clock(), (connected or set()).__contains__, verify)
    made.load(list(entries))
    return made, verify


def entry(charger_id: str = "CP1", profile: int = 1,
          state: Registration = Registration.ACCEPTED, identity: str | None = None) -> ChargerEntry:
    hashed = hash_password(SECRET) if profile in (1, 2) else None
    return ChargerEntry(charger_id, state, profile, hashed, identity)


def knock(charger_id: str = "CP1", password: str | None = SECRET, *, tls: bool = False,
          user: str | None = None, cert: str | None = None,
          address: str = "10.0.0.1") -> Handshake:
    return Handshake(charger_id, address, tls, (user or charger_id) if password else None,
                     password, cert)


def admit(g: RegistryGate, handshake: Handshake) -> Admission:
    return asyncio.run(g.admit(handshake))


# ---- profiles ---------------------------------------------------------------------------------


def test_profile_1_right_wrong_missing() -> None:
    g, _ = gate(UnknownChargers.REJECT, entry(profile=1))
    assert admit(g, knock()).admitted
    wrong = admit(g, knock(password="not-the-password-at-all"))
    missing = admit(g, knock(password=None))
    other_user = admit(g, knock(user="CP2"))
    assert (wrong.status, wrong.reason) == (401, RefusalReason.BAD_PASSWORD)
    assert (missing.status, missing.reason) == (401, RefusalReason.MISSING_PASSWORD)
    assert other_user.reason is RefusalReason.BAD_PASSWORD


def test_profile_2_needs_tls_as_well() -> None:
    g, _ = gate(UnknownChargers.REJECT, entry(profile=2))
    plain = admit(g, knock(tls=False))
    assert (plain.status, plain.reason) == (403, RefusalReason.INSECURE)
    assert admit(g, knock(tls=True)).admitted
    assert not admit(g, knock(tls=True, password="a-wrong-password-over-tls")).admitted


def test_profile_3_binds_the_certificate_to_the_id() -> None:
    g, _ = gate(UnknownChargers.REJECT, entry(profile=3, identity="CN=CP1"))
    assert admit(g, knock(password=None, tls=True, cert="CN=CP1")).admitted
    foreign = admit(g, knock(password=None, tls=True, cert="CN=CP2"))
    none = admit(g, knock(password=None, tls=True))
    plain = admit(g, knock(password=None, tls=False, cert="CN=CP1"))
    assert (foreign.status, foreign.reason) == (403, RefusalReason.BAD_CERTIFICATE)
    assert none.reason is RefusalReason.BAD_CERTIFICATE
    assert plain.reason is RefusalReason.INSECURE
    assert not admit(g, knock(tls=True, cert=None)).admitted  # a password is no certificate


def test_profile_0_sends_nothing_and_is_let_in() -> None:
    g, _ = gate(UnknownChargers.REJECT, entry(profile=0))
    assert admit(g, knock(password=None)).admitted


def test_argon2_runs_once_per_charger_and_password() -> None:
    g, verify = gate(UnknownChargers.REJECT, entry("CP1"), entry("CP2"))
    for _ in range(50):  # a reconnect storm
        assert admit(g, knock("CP1")).admitted
        assert admit(g, knock("CP2")).admitted
    assert verify.calls == 2
    for _ in range(20):  # a charger stuck on a wrong password retries all day
        assert not admit(g, knock("CP1", password="an-old-password-it-kept")).admitted
    assert verify.calls == 3
    g.update(entry("CP1"))  # a new password (a new hash): verified afresh
    assert admit(g, knock("CP1")).admitted
    assert verify.calls == 4


# ---- standing and unknown ids -------------------------------------------------------------------


def test_unknown_ids_follow_the_policy_and_pending_ones_are_recorded() -> None:
    accept, _ = gate(UnknownChargers.ACCEPT)
    assert admit(accept, knock("NEW", None)).registration is Registration.ACCEPTED
    pending, _ = gate(UnknownChargers.PENDING)
    assert admit(pending, knock("NEW", None)).registration is Registration.PENDING
    assert [e.charger_id for e in pending.pending()] == ["NEW"]  # the dashboard's list
    (seen,) = pending.take_seen()
    assert (seen.charger_id, seen.state, seen.last_address) == ("NEW", Registration.PENDING,
                                                                "10.0.0.1")
    reject, _ = gate(UnknownChargers.REJECT)
    refused = admit(reject, knock("NEW", None))
    assert (refused.status, refused.reason) == (403, RefusalReason.UNKNOWN_ID)
    assert reject.take_seen() == [] and reject.entry("NEW") is None


def test_rejected_chargers_never_connect_even_with_the_password() -> None:
    g, _ = gate(UnknownChargers.ACCEPT, entry(state=Registration.REJECTED))
    refused = admit(g, knock())
    assert (refused.status, refused.reason) == (403, RefusalReason.REJECTED)


def test_the_pending_list_is_bounded() -> None:
    g, _ = gate(UnknownChargers.PENDING)
    g.load([ChargerEntry(f"P{n}", Registration.PENDING) for n in range(MAX_PENDING)])
    refused = admit(g, knock("ONE-MORE", None))
    assert (refused.status, refused.reason) == (503, RefusalReason.LIMIT)
    g.update(ChargerEntry("P0", Registration.ACCEPTED))  # one approved: room for one more
    assert admit(g, knock("ONE-MORE", None)).admitted


def test_refusals_are_counted_per_id_address_and_reason() -> None:
    g, _ = gate(UnknownChargers.REJECT, entry())
    for _ in range(3):
        admit(g, knock(password="wrong-wrong-wrong-wrong"))
    admit(g, knock(password=None, address="10.0.0.9"))
    g.refused("bad id", "10.0.0.7", RefusalReason.BAD_ID)
    counted = {(r.charger_id, r.address, r.reason): r.count for r in g.refusals.take()}
    assert counted == {("CP1", "10.0.0.1", "bad-password"): 3,
                       ("CP1", "10.0.0.9", "missing-password"): 1,
                       ("bad id", "10.0.0.7", "bad-id"): 1}
    assert g.refusals.take() == []  # taken for the flush


def test_registration_changes_reach_listeners() -> None:
    g, _ = gate(UnknownChargers.PENDING, entry(state=Registration.PENDING))
    heard: list[tuple[str, Registration]] = []
    g.on_change(lambda e: heard.append((e.charger_id, e.state)))
    g.update(entry(state=Registration.PENDING))  # no change of standing: nobody told
    g.update(entry(state=Registration.ACCEPTED))
    assert heard == [("CP1", Registration.ACCEPTED)]


# ---- takeovers ------------------------------------------------------------------------------


def test_an_unproven_newcomer_cannot_take_a_live_id_from_elsewhere() -> None:
    g, _ = gate(UnknownChargers.ACCEPT, entry(profile=0), connected={"CP1"})
    assert admit(g, knock(password=None, address="10.0.0.1")).admitted
    hijack = admit(g, knock(password=None, address="203.0.113.5"))
    assert (hijack.status, hijack.reason) == (409, RefusalReason.IN_USE)
    # The charger itself, reconnecting over a connection evfault still thinks alive:
    assert admit(g, knock(password=None, address="10.0.0.1")).admitted


def test_a_proven_newcomer_may_take_over_from_anywhere() -> None:
    g, _ = gate(UnknownChargers.REJECT, entry(profile=1), connected={"CP1"})
    assert admit(g, knock(address="10.0.0.1")).admitted
    assert admit(g, knock(address="198.51.100.2")).admitted
    assert not admit(g, knock(password=None, address="198.51.100.3")).admitted


@given(st.booleans(), st.sampled_from(["a", "b"]), st.sampled_from(["a", "b", None]))
def test_may_replace_only_protects_unproven_takeovers(proven: bool, address: str,
                                                      holder: str | None) -> None:
    allowed = may_replace(proven, address, holder)
    assert allowed == (proven or holder in (None, address))


# ---- counters ---------------------------------------------------------------------------------


def test_flapping_needs_three_takeovers_within_a_minute() -> None:
    d = FlapDetector()
    assert not d.replaced("CP1", T0)
    assert not d.replaced("CP1", T0 + timedelta(seconds=50))
    assert not d.replaced("CP1", T0 + timedelta(seconds=70))  # the first is too old now
    assert d.replaced("CP1", T0 + timedelta(seconds=80))
    assert not d.settled("CP1", T0 + timedelta(minutes=5))
    assert d.settled("CP1", T0 + timedelta(seconds=80, minutes=10))


def test_refusal_counter_is_bounded_and_keeps_the_most_recent() -> None:
    c = RefusalCounter(limit=2)
    c.count("A", "x", RefusalReason.BAD_ID, T0)
    c.count("B", "x", RefusalReason.BAD_ID, T0)
    c.count("A", "x", RefusalReason.BAD_ID, T0 + timedelta(seconds=1))  # A is recent again
    c.count("C", "x", RefusalReason.BAD_ID, T0 + timedelta(seconds=2))
    assert {r.charger_id: r.count for r in c.take()} == {"A": 2, "C": 1}
    assert c.dropped == 1


def test_login_backs_off_after_five_failures_and_forgets_on_success() -> None:
    limiter = LoginLimiter()
    for n in range(5):
        assert limiter.wait("1.2.3.4", "ada", T0) == timedelta(0), n
        limiter.failed("1.2.3.4", "ada", T0)
    assert limiter.wait("1.2.3.4", "ada", T0) == timedelta(seconds=1)
    assert limiter.wait("5.6.7.8", "ada", T0) == timedelta(seconds=1)  # per user as well
    assert limiter.wait("1.2.3.4", "bob", T0) == timedelta(seconds=1)  # and per address
    limiter.failed("1.2.3.4", "ada", T0)
    assert limiter.wait("1.2.3.4", "ada", T0) == timedelta(seconds=2)
    assert limiter.wait("1.2.3.4", "ada", T0 + timedelta(seconds=2)) == timedelta(0)
    limiter.succeeded("1.2.3.4", "ada")
    assert limiter.wait("1.2.3.4", "ada", T0) == timedelta(0)


# ---- passwords and sessions ----------------------------------------------------------------


def test_the_product_hashes_with_owasps_argon2id_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the tests' quick hasher off: the real one
    hashed = passwords.hasher().hash(SECRET)
    assert hashed.startswith("$argon2id$") and "m=19456,t=2,p=1" in hashed
    assert SECRET not in hashed and passwords.verify_password(hashed, SECRET)
    assert not passwords.verify_password("not a hash", SECRET)


def test_charger_passwords_follow_ocpps_length() -> None:
    assert password_problem("x" * 15, charger=True)
    assert password_problem("x" * 41, charger=True)
    assert password_problem("x" * 16, charger=True) is None
    assert password_problem("short") and password_problem("long enough") is None


def test_the_verified_cache_keeps_no_password() -> None:
    cache = VerifiedCache(b"k" * 32)
    cache.remember("CP1", "hash-1", SECRET)
    assert cache.known("CP1", "hash-1", SECRET)
    assert not cache.known("CP1", "hash-2", SECRET) and not cache.known("CP1", "hash-1", "other")
    assert SECRET not in repr(cache.__dict__)


def test_sessions_expire_and_cannot_be_forged() -> None:
    signer = SessionSigner("k" * 40, max_age_s=3600)
    value, data = signer.sign(7, 2)
    assert signer.read(value) == data
    assert SessionSigner("another key" * 4, 3600).read(value) is None
    assert SessionSigner("k" * 40, max_age_s=-1).read(value) is None  # expired


@given(st.text(max_size=300))
def test_no_cookie_or_header_text_makes_a_session_or_an_exception(text: str) -> None:
    assert SessionSigner("k" * 40, 3600).read(text) is None
    user, password = basic_credentials(text)
    assert (user is None) == (password is None)


@given(st.text(max_size=40).filter(lambda s: ":" not in s), st.text(max_size=60))
def test_basic_credentials_round_trip(user: str, password: str) -> None:
    header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    assert basic_credentials(header) == (user, password)


def test_roles_rank() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.OPERATOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.OPERATOR)
    with pytest.raises(ValueError, match="viewer, operator or admin"):
        Role.parse("root")
    with pytest.raises(ValueError, match="accept, pending or reject"):
        UnknownChargers.parse("maybe")
