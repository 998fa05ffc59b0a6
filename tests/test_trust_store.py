"""The trust tables on SQLite and PostgreSQL: registry changes with their audit lines, refusal
counts from several nodes, users and tokens, the kept secret key, and conflict incidents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from evfault.auth import service
from evfault.auth.conflicts import CONFLICT_CODE, ConflictMonitor
from evfault.auth.counters import FlapDetector
from evfault.auth.model import ChargerEntry, Role
from evfault.auth.service import Trust
from evfault.bus import InProcessBus
from evfault.catalog import default_catalog
from evfault.context import Services
from evfault.errors import UserError
from evfault.ocpp.admission import Handshake, RefusalReason, Registration
from evfault.ocpp.central import CentralSystem, new_incident_id
from evfault.settings import Settings
from evfault.store import accounts, registry
from evfault.store.model import ChargerUpdate, IncidentQuery, WriteBatch
from evfault.store.sql import SqlStore, open_store
from evfault.tracking.model import ClearedBy

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def trust(db_url: str) -> AsyncIterator[Trust]:
    made = Trust(Settings(db=db_url), Clock())
    await made.start()
    yield made
    await made.stop()


async def test_registry_changes_are_audited_and_keep_no_password(trust: Trust) -> None:
    admin = trust.admin
    await admin.add_charger("cli:ops", "CP1", password="a-long-enough-password")
    with pytest.raises(UserError, match="already"):
        await admin.add_charger("cli:ops", "CP1", profile=0)
    await admin.set_state("alice", "CP1", Registration.REJECTED)
    await admin.set_charger_password("alice", "CP1", generate=True)
    entry = await admin.charger("CP1")
    assert entry.state is Registration.REJECTED and entry.password_hash
    assert "a-long-enough-password" not in entry.password_hash
    log = [(a.actor, a.action, a.target) for a in await admin.audit_entries()]
    assert log == [("alice", "charger.set-password", "CP1"), ("alice", "charger.reject", "CP1"),
                   ("cli:ops", "charger.add", "CP1")]
    with pytest.raises(UserError, match="not in the charger registry"):
        await admin.set_state("alice", "NOPE", Registration.ACCEPTED)
    assert len(await admin.audit_entries()) == 3  # a failed change leaves no audit line


async def test_refusals_add_up_across_nodes_and_flushes(db_url: str, trust: Trust) -> None:
    other = Trust(Settings(db=db_url), Clock())
    await other.start()
    try:
        for node in (trust, other, trust):
            node.gate.refused("CP1", "10.0.0.1", RefusalReason.BAD_PASSWORD)
            await node.flush()
        rows = await trust.store.read(registry.refusals, 10)
        assert [(r.charger_id, r.reason, r.count) for r in rows] == [("CP1", "bad-password", 3)]
    finally:
        await other.stop()


async def test_only_the_most_recent_refusals_are_kept(trust: Trust,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "REFUSALS_KEPT", 3)
    clock = trust.clock
    assert isinstance(clock, Clock)
    for n in range(6):
        clock.now = T0 + timedelta(seconds=n)
        trust.gate.refused(f"CP{n}", "10.0.0.1", RefusalReason.UNKNOWN_ID)
        await trust.flush()
    rows = await trust.store.read(registry.refusals, 100)
    assert [r.charger_id for r in rows] == ["CP5", "CP4", "CP3"]


async def test_chargers_the_gate_met_are_recorded(trust: Trust) -> None:
    trust.gate.update(ChargerEntry("NEW", Registration.PENDING, created_at=T0))
    assert (await trust.gate.admit(Handshake("NEW", "10.1.1.1", False))).admitted
    await trust.flush()
    (stored,) = await trust.admin.chargers()
    assert (stored.charger_id, stored.state, stored.last_address, stored.last_seen) == (
        "NEW", Registration.PENDING, "10.1.1.1", T0)


async def test_changes_made_elsewhere_reach_the_gate(db_url: str, trust: Trust) -> None:
    heard: list[tuple[str, Registration]] = []
    trust.gate.on_change(lambda e: heard.append((e.charger_id, e.state)))
    cli = Trust(Settings(db=db_url), Clock())  # the CLI, or another node
    await cli.start()
    try:
        await cli.admin.add_charger("cli:ops", "CP9", profile=0, state=Registration.PENDING)
        await trust.refresh()
        await cli.admin.set_state("cli:ops", "CP9", Registration.ACCEPTED)
        await trust.refresh()
    finally:
        await cli.stop()
    entry = trust.gate.entry("CP9")
    assert entry is not None and entry.state is Registration.ACCEPTED
    assert heard == [("CP9", Registration.PENDING), ("CP9", Registration.ACCEPTED)]


async def test_the_secret_key_is_made_once_and_kept(db_url: str, trust: Trust) -> None:
    user = (await trust.admin.add_user("t", "ada", Role.VIEWER, "a good password")).user
    assert user is not None
    cookie, _ = trust.accounts.start_session(user)
    restarted = Trust(Settings(db=db_url), Clock())
    await restarted.start()
    try:
        found = await restarted.accounts.from_session(cookie)
        assert found is not None and found.user.name == "ada"
    finally:
        await restarted.stop()
    configured = Trust(Settings(db=db_url, secret_key="from-the-settings-" * 3), Clock())
    await configured.start()
    try:
        assert await configured.accounts.from_session(cookie) is None  # another key
    finally:
        await configured.stop()


async def test_users_and_tokens(trust: Trust) -> None:
    admin = trust.admin
    made = await admin.add_user("t", "ada", Role.OPERATOR)
    assert made.secret and len(made.secret) >= 16  # generated, shown once
    with pytest.raises(UserError, match="already"):
        await admin.add_user("t", "ada", Role.VIEWER, "another password")
    with pytest.raises(UserError, match="at least 8"):
        await admin.add_user("t", "bob", Role.VIEWER, "short")
    token = await admin.add_token("t", "ada", "ci")
    assert token.secret and token.secret.startswith("evf_")
    found = await trust.accounts.from_token(token.secret)
    assert found is not None and found.user.name == "ada" and found.role is Role.OPERATOR
    stored = await trust.store.read(accounts.tokens)
    assert token.secret not in repr(stored)
    await admin.remove_user("t", "ada")
    assert await trust.store.read(accounts.tokens) == []
    assert await trust.accounts.from_token(token.secret) is None


# ---- the conflict notification --------------------------------------------------------------


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    made = open_store(db_url)
    await made.start()
    await made.write(WriteBatch(chargers=[ChargerUpdate("CP1", last_seen=T0, online=True)]))
    yield made
    await made.close()


def services_of(store: SqlStore, clock: Clock, db_url: str) -> Services:
    return Services(Settings(db=db_url), store, InProcessBus(), default_catalog(), clock=clock)


async def test_a_conflict_opens_once_survives_a_restart_and_clears_when_quiet(
        store: SqlStore, db_url: str) -> None:
    clock = Clock()
    services = services_of(store, clock, db_url)
    monitor = ConflictMonitor(services, new_incident_id, FlapDetector())
    for seconds in (0, 10, 20, 30):
        clock.now = T0 + timedelta(seconds=seconds)
        monitor.replaced("CP1")
    await monitor.drain()
    (opened,) = await store.active_incidents("CP1")
    assert (opened.scheme, opened.code, opened.connector_id) == ("platform", CONFLICT_CODE, 0)
    assert opened.reports == 4 and opened.title

    # A restart: the tracker leaves the platform's incident alone; the monitor takes it up.
    central = CentralSystem(services)
    await central.start()
    await central.stop()
    assert central.tracker.active("CP1") == []
    again = ConflictMonitor(services, new_incident_id, FlapDetector())
    await again.start()
    clock.now = T0 + timedelta(minutes=5)
    await again.check()
    assert await store.active_incidents("CP1")  # not quiet long enough yet
    clock.now = T0 + timedelta(minutes=11)
    await again.check()
    assert await store.active_incidents("CP1") == []
    history = await store.incidents(IncidentQuery(charger_id="CP1"))
    (cleared,) = [i for i in history if i.code == CONFLICT_CODE]
    assert cleared.cleared_by is ClearedBy.RESOLVED and cleared.id == opened.id
