"""The SQL store on SQLite and PostgreSQL: what goes in comes out, merged and ordered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from evfault.decode.model import SetRule
from evfault.store.model import (
    ChargerUpdate,
    ConnectorUpdate,
    IncidentQuery,
    MessageRow,
    StatusEventRow,
    WriteBatch,
)
from evfault.store.sql import SqlStore, open_store
from evfault.tracking.model import ClearedBy, ConnectivityChange, Incident, StatusChange

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def incident(id: str = "i1", opened: float = 0, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "charger_id": "CP1", "connector_id": 1, "scheme": "evgo-mrec", "code": "F001",
        "title": "Proximity fault", "severity": "critical",
    }
    values.update(fields)
    return Incident(id=id, opened_at=at(opened), opened_received_at=at(opened), **values)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SqlStore]:
    opened = open_store(db_url)
    await opened.start()
    yield opened
    await opened.close()


async def write(store: SqlStore, **rows: Any) -> None:
    await store.write(WriteBatch(**rows))


# ---- messages and status events --------------------------------------------------------


async def test_messages_come_back_newest_first_and_page_by_id(store: SqlStore) -> None:
    for n in range(5):
        await write(store, messages=[
            MessageRow("CP1", "in", at(n), f'[2,"{n}","Heartbeat",{{}}]', "Heartbeat", str(n)),
            MessageRow("CP1", "out", at(n), f'[3,"{n}",{{}}]', "Heartbeat", str(n)),
        ])
    await write(store, messages=[MessageRow("CP2", "in", at(9), "[2]")])

    first = await store.messages("CP1", limit=4)
    assert [(m.direction, m.message_id) for m in first] == [
        ("out", "4"), ("in", "4"), ("out", "3"), ("in", "3")]
    assert first[1].raw == '[2,"4","Heartbeat",{}]' and first[1].action == "Heartbeat"
    assert first[1].at == at(4) and first[1].at.tzinfo is UTC
    ids = [m.id or 0 for m in first]
    assert all(isinstance(m.id, int) for m in first) and ids == sorted(ids, reverse=True)

    rest = await store.messages("CP1", limit=100, before_id=first[-1].id)
    assert [m.message_id for m in rest] == ["2", "2", "1", "1", "0", "0"]
    assert [m.charger_id for m in await store.messages("CP2")] == ["CP2"]
    assert await store.messages("nobody") == []


async def test_status_events_are_kept_as_reported(store: SqlStore) -> None:
    event = StatusEventRow("CP1", 1, "Faulted", "OtherError", "V=4.2", "com.evgo.mrec", "F001",
                           charger_time=at(-3), received_at=at(0))
    silent = StatusEventRow("CP1", 1, None, None, None, None, None, None, at(1))
    await write(store, status_events=[event, silent])

    found = await store.status_events("CP1")
    assert [replace(e, id=None) for e in found] == [silent, event]
    older = await store.status_events("CP1", before_id=found[0].id)
    assert [e.received_at for e in older] == [at(0)]


async def test_timestamps_are_stored_as_utc_instants(store: SqlStore) -> None:
    paris = timezone(timedelta(hours=1))
    local = datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=paris)
    naive = datetime(2025, 3, 1, 8, 30)  # OCPP times are UTC; a naive one is taken as UTC
    await write(store, messages=[MessageRow("CP1", "in", local, "a"),
                                 MessageRow("CP1", "in", naive, "b")])

    b, a = await store.messages("CP1")
    assert a.at == datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC) and a.at.tzinfo is UTC
    assert b.at == datetime(2025, 3, 1, 8, 30, tzinfo=UTC) and b.at.tzinfo is UTC


async def test_postgres_session_timezone_does_not_leak(pg_url: str) -> None:
    tokyo = pg_url.replace("options=", "options=-ctimezone%3DAsia/Tokyo%20")
    async with open_store(tokyo) as store:
        await write(store, messages=[MessageRow("CP1", "in", at(0), "a")])
        (row,) = await store.messages("CP1")
    assert row.at == at(0) and row.at.utcoffset() == timedelta(0)


# ---- chargers and connectors -----------------------------------------------------------


async def test_charger_facts_merge_and_none_keeps_what_is_stored(store: SqlStore) -> None:
    await write(store, chargers=[ChargerUpdate("CP1", last_seen=at(5), vendor="ABB",
                                               model="Terra 184", firmware="1.0",
                                               protocol="1.6", booted_at=at(4), node="n1")])
    await write(store, chargers=[ChargerUpdate("CP1", last_seen=at(60), firmware="1.1")])

    row = await store.charger("CP1")
    assert row is not None
    assert (row.vendor, row.model, row.firmware, row.protocol) == (
        "ABB", "Terra 184", "1.1", "1.6")
    assert (row.last_seen, row.booted_at, row.first_seen) == (at(60), at(4), at(4))
    assert row.online is False and row.offline_since is None
    assert await store.charger("CP9") is None


async def test_a_charger_only_heard_from_keeps_its_facts_and_offline_period(
    store: SqlStore,
) -> None:
    # Most messages only move last_seen, which the store writes with a statement of its own.
    await write(store, chargers=[ChargerUpdate("CP1", last_seen=at(5), vendor="ABB",
                                               booted_at=at(4), node="n1")],
                connectivity=[ConnectivityChange("CP1", False, at(6), "silent")])
    await write(store, chargers=[ChargerUpdate("CP1", last_seen=at(60))])
    await write(store, chargers=[ChargerUpdate("CP1", last_seen=at(1))],  # out of order
                messages=[MessageRow("CP1", "in", at(1), "[2]")])

    row = await store.charger("CP1")
    assert row is not None
    assert (row.vendor, row.node, row.booted_at) == ("ABB", "n1", at(4))
    assert (row.online, row.offline_since) == (False, at(6))
    assert (row.first_seen, row.last_seen) == (at(4), at(1))  # last write wins, as before

    await write(store, chargers=[ChargerUpdate("NEW", last_seen=at(7))])
    new = await store.charger("NEW")
    assert new is not None
    assert (new.online, new.first_seen, new.last_seen, new.vendor) == (False, at(7), at(7), None)


async def test_last_write_wins_within_one_group(store: SqlStore) -> None:
    await asyncio.gather(*(
        write(store, chargers=[ChargerUpdate("CP1", last_seen=at(n), firmware=f"v{n}")],
              connectors=[ConnectorUpdate("CP1", 1, f"S{n}", None, at(n))])
        for n in range(50)
    ))
    row = await store.charger("CP1")
    assert row is not None and (row.firmware, row.last_seen, row.first_seen) == (
        "v49", at(49), at(0))
    (connector,) = await store.connectors("CP1")
    assert (connector.status, connector.updated_at) == ("S49", at(49))


async def test_a_charger_heard_of_gets_a_row(store: SqlStore) -> None:
    await write(store, messages=[MessageRow("NEW", "in", at(7), "[2]")])
    row = await store.charger("NEW")
    assert row is not None
    assert (row.online, row.first_seen, row.last_seen, row.vendor) == (False, at(7), None, None)
    await write(store, chargers=[ChargerUpdate("NEW", vendor="Kempower")],
                messages=[MessageRow("NEW", "in", at(1), "[2]")])
    row = await store.charger("NEW")
    assert row is not None and row.first_seen == at(7) and row.vendor == "Kempower"


async def test_connectors_keep_the_latest_status(store: SqlStore) -> None:
    await write(store, connectors=[ConnectorUpdate("CP1", 1, "Available", None, at(0)),
                                   ConnectorUpdate("CP1", 2, "Charging", None, at(0)),
                                   ConnectorUpdate("CP2", 1, "Available", None, at(0))])
    await write(store, connectors=[ConnectorUpdate("CP1", 1, "Faulted", "GroundFailure", at(9))])

    assert [(c.charger_id, c.connector_id, c.status, c.error_code, c.updated_at)
            for c in await store.connectors()] == [
        ("CP1", 1, "Faulted", "GroundFailure", at(9)),
        ("CP1", 2, "Charging", None, at(0)),
        ("CP2", 1, "Available", None, at(0)),
    ]
    assert [c.connector_id for c in await store.connectors("CP1")] == [1, 2]
    assert [c.charger_id for c in await store.chargers()] == ["CP1", "CP2"]


# ---- connectivity ----------------------------------------------------------------------


async def test_connectivity_moves_charger_online_and_offline_since(store: SqlStore) -> None:
    async def link(online: bool, seconds: float, reason: str) -> None:
        await write(store, connectivity=[ConnectivityChange("CP1", online, at(seconds), reason)])

    await link(True, 0, "connected")
    row = await store.charger("CP1")
    assert row is not None and (row.online, row.offline_since) == (True, None)

    await link(False, 100, "disconnected")
    await link(False, 200, "silent")  # still the same offline period
    row = await store.charger("CP1")
    assert row is not None and (row.online, row.offline_since) == (False, at(100))

    await link(True, 300, "restored")
    row = await store.charger("CP1")
    assert row is not None and (row.online, row.offline_since) == (True, None)

    changes = await store.connectivity("CP1")
    assert [(c.online, c.at, c.reason) for c in changes] == [
        (True, at(300), "restored"), (False, at(200), "silent"),
        (False, at(100), "disconnected"), (True, at(0), "connected")]
    assert [c.at for c in await store.connectivity("CP1", since=at(200))] == [at(300), at(200)]
    assert len(await store.connectivity("CP1", limit=1)) == 1


async def test_connectivity_inside_one_batch_applies_in_order(store: SqlStore) -> None:
    await write(store, connectivity=[ConnectivityChange("CP1", True, at(0), "connected"),
                                     ConnectivityChange("CP1", False, at(5), "disconnected")])
    row = await store.charger("CP1")
    assert row is not None and (row.online, row.offline_since) == (False, at(5))

    await write(store, connectivity=[ConnectivityChange("CP1", True, at(9), "connected"),
                                     ConnectivityChange("CP1", False, at(20), "disconnected"),
                                     ConnectivityChange("CP1", False, at(30), "silent")])
    row = await store.charger("CP1")
    assert row is not None and (row.online, row.offline_since) == (False, at(20))
    assert [c.charger_id for c in await store.connectivity()] == ["CP1"] * 5


async def test_charger_update_online_clears_offline_since(store: SqlStore) -> None:
    await write(store, connectivity=[ConnectivityChange("CP1", False, at(5), "silent")])
    await write(store, chargers=[ChargerUpdate("CP1", online=True, last_seen=at(9))])
    row = await store.charger("CP1")
    assert row is not None and (row.online, row.offline_since) == (True, None)


# ---- status changes --------------------------------------------------------------------


async def test_status_changes_newest_first_since(store: SqlStore) -> None:
    await write(store, status_changes=[
        StatusChange("CP1", 1, "Available", at(0)),
        StatusChange("CP1", 1, "Faulted", at(10), previous="Available", time_flagged=True),
        StatusChange("CP2", 1, "Charging", at(5)),
    ])
    changes = await store.status_changes("CP1")
    assert changes == [StatusChange("CP1", 1, "Faulted", at(10), "Available", True),
                       StatusChange("CP1", 1, "Available", at(0))]
    assert [c.status for c in await store.status_changes("CP1", since=at(1))] == ["Faulted"]
    assert [c.status for c in await store.status_changes("CP1", limit=1)] == ["Faulted"]


# ---- incidents -------------------------------------------------------------------------


async def test_incident_upsert_open_continue_clear(store: SqlStore) -> None:
    opened = incident(info="V=4.2", reading_value=4.2, reading_unit="V", status="Faulted",
                      vendor_id="com.evgo.mrec", error_code="OtherError", last_seen_at=at(0))
    await write(store, incidents=[opened])
    assert await store.active_incidents() == [opened]

    continued = replace(opened, reports=3, last_seen_at=at(60), info="V=4.4", reading_value=4.4)
    await write(store, incidents=[continued])
    assert await store.active_incidents() == [continued]

    cleared = replace(continued.clear(at(120), ClearedBy.NO_ERROR), cleared_received_at=at(121))
    await write(store, incidents=[cleared])
    assert await store.active_incidents() == []
    (stored,) = await store.incidents(IncidentQuery())
    assert stored == cleared
    assert stored.cleared_by is ClearedBy.NO_ERROR and stored.duration_s(at(999)) == 120


async def test_incident_fields_round_trip(store: SqlStore) -> None:
    full = incident(
        "i2", opened=3, vendor_id="https://chargex.inl.gov", error_code="OtherError",
        info="CX011", reading_value=None, reading_unit=None, status="Available",
        warning_only=True, time_flagged=True, last_seen_at=at(30), reports=7,
        set_rule=SetRule.ACCUMULATE, scheme="chargex-mrec", code="CX011",
    )
    await write(store, incidents=[full])
    (stored,) = await store.active_incidents()
    assert stored == full and stored.set_rule is SetRule.ACCUMULATE
    assert stored.opened_at.tzinfo is UTC


async def test_active_incidents_most_severe_first_then_oldest(store: SqlStore) -> None:
    rows = [
        incident("info-old", opened=0, severity="info", code="I1"),
        incident("warn-new", opened=50, severity="warning", code="W2"),
        incident("crit-new", opened=40, severity="critical", code="C2"),
        incident("warn-old", opened=10, severity="warning", code="W1"),
        incident("crit-old", opened=20, severity="critical", code="C1"),
        incident("crit-cleared", opened=5, severity="critical", code="C0").clear(
            at(6), ClearedBy.RESOLVED),
        incident("other", opened=1, severity="critical", charger_id="CP2"),
    ]
    await write(store, incidents=rows)
    assert [i.id for i in await store.active_incidents("CP1")] == [
        "crit-old", "crit-new", "warn-old", "warn-new", "info-old"]
    assert [i.id for i in await store.active_incidents()][:3] == [
        "other", "crit-old", "crit-new"]


@pytest.fixture
async def history(store: SqlStore) -> SqlStore:
    """Twelve incidents: two chargers, three codes, one in three cleared."""
    rows = []
    for n in range(12):
        row = incident(f"i{n:02d}", opened=n * 60, charger_id=f"CP{n % 2}",
                       code=("F001", "F002", "CX011")[n % 3],
                       scheme="chargex-mrec" if n % 3 == 2 else "evgo-mrec",
                       severity="warning" if n % 4 == 0 else "critical")
        rows.append(row.clear(at(n * 60 + 30), ClearedBy.REPLACED) if n % 3 == 0 else row)
    await write(store, incidents=rows)
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (IncidentQuery(), [f"i{n:02d}" for n in range(11, -1, -1)]),
        (IncidentQuery(charger_id="CP1"), ["i11", "i09", "i07", "i05", "i03", "i01"]),
        (IncidentQuery(code="F002"), ["i10", "i07", "i04", "i01"]),
        (IncidentQuery(scheme="chargex-mrec"), ["i11", "i08", "i05", "i02"]),
        (IncidentQuery(severity="warning"), ["i08", "i04", "i00"]),
        (IncidentQuery(since=at(300), until=at(540)), ["i08", "i07", "i06", "i05"]),
        (IncidentQuery(state="cleared"), ["i09", "i06", "i03", "i00"]),
        (IncidentQuery(state="active", charger_id="CP0", code="F001"), []),
        (IncidentQuery(state="active", charger_id="CP0"), ["i10", "i08", "i04", "i02"]),
        (IncidentQuery(limit=3), ["i11", "i10", "i09"]),
        (IncidentQuery(limit=3, offset=10), ["i01", "i00"]),
    ],
)
async def test_incident_filters_and_paging(
    history: SqlStore, query: IncidentQuery, expected: list[str]
) -> None:
    assert [i.id for i in await history.incidents(query)] == expected
    unpaged = replace(query, limit=100, offset=0)
    assert await history.count_incidents(query) == len(await history.incidents(unpaged))


async def test_count_ignores_the_page(history: SqlStore) -> None:
    assert await history.count_incidents(IncidentQuery(limit=2, offset=5)) == 12
    assert await history.count_incidents(IncidentQuery(state="active")) == 8


async def test_bad_incident_query_is_refused_in_one_sentence(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="must be 'active' or 'cleared'"):
        await store.incidents(IncidentQuery(state="open"))
    with pytest.raises(ValueError, match="must not be negative"):
        await store.incidents(IncidentQuery(limit=-1))
    with pytest.raises(ValueError, match="must not be negative"):
        await store.messages("CP1", limit=-1)
    with pytest.raises(ValueError, match="must not be negative"):
        await store.connectivity(limit=-1)


# ---- restart, state ---------------------------------------------------------------------


async def test_data_survives_close_and_reopen(db_url: str) -> None:
    async with open_store(db_url) as first:
        await write(first, chargers=[ChargerUpdate("CP1", vendor="ABB", last_seen=at(1))],
                    connectors=[ConnectorUpdate("CP1", 1, "Faulted", "OtherError", at(1))],
                    incidents=[incident("open"), incident("done", code="F002").clear(
                        at(5), ClearedBy.REBOOT)],
                    messages=[MessageRow("CP1", "in", at(1), "[2]")])

    async with open_store(db_url) as second:
        state = await second.load_state()
        assert [i.id for i in state.incidents] == ["open"]
        assert [(c.charger_id, c.status) for c in state.connectors] == [("CP1", "Faulted")]
        assert [(c.charger_id, c.vendor) for c in state.chargers] == [("CP1", "ABB")]
        assert [m.raw for m in await second.messages("CP1")] == ["[2]"]
        assert await second.count_incidents(IncidentQuery()) == 2


async def test_close_commits_what_was_handed_over(db_url: str) -> None:
    store = open_store(db_url)
    await store.start()
    tasks = [asyncio.create_task(write(store, messages=[MessageRow("CP1", "in", at(n), "x")]))
             for n in range(100)]
    await asyncio.sleep(0)  # every task has queued its batch
    await store.close()
    await asyncio.gather(*tasks)
    async with open_store(db_url) as reopened:
        assert len(await reopened.messages("CP1", limit=1000)) == 100


async def test_a_cancelled_writer_still_gets_its_batch_written(store: SqlStore) -> None:
    task = asyncio.create_task(write(store, messages=[MessageRow("CP1", "in", at(0), "x")]))
    await asyncio.sleep(0)
    task.cancel()
    await write(store, messages=[MessageRow("CP1", "in", at(1), "y")])
    assert [m.raw for m in await store.messages("CP1")] == ["y", "x"]


# ---- group commit ----------------------------------------------------------------------


async def test_500_concurrent_writers_are_all_committed(store: SqlStore) -> None:
    async def one(n: int) -> None:
        cid = f"CP{n % 25}"
        await write(store, messages=[MessageRow(cid, "in", at(n), f"m{n}")],
                    status_events=[StatusEventRow(cid, 1, "Available", "NoError", None, None,
                                                  None, None, at(n))],
                    chargers=[ChargerUpdate(cid, last_seen=at(n))],
                    connectors=[ConnectorUpdate(cid, 1, "Available", None, at(n))])

    await asyncio.gather(*(one(n) for n in range(500)))

    raws = [m.raw for c in range(25) for m in await store.messages(f"CP{c}", limit=100)]
    assert sorted(raws) == sorted(f"m{n}" for n in range(500))
    assert len(await store.chargers()) == 25
    row = await store.charger("CP3")
    assert row is not None and row.last_seen == at(478)
    assert store.stats.batches == 500 and store.stats.groups < 500  # they were grouped


async def test_a_failing_batch_fails_its_writer_only(store: SqlStore) -> None:
    bad = WriteBatch(messages=[MessageRow("CP1", "in", at(0), None)],  # type: ignore[arg-type]
                     connectors=[ConnectorUpdate("CP1", 1, "Faulted", None, at(0))])

    async def good(n: int) -> None:
        await write(store, messages=[MessageRow("CP2", "in", at(n), f"ok{n}")])

    outcomes = await asyncio.gather(*(good(n) for n in range(10)), store.write(bad),
                                    *(good(n) for n in range(10, 20)), return_exceptions=True)
    assert isinstance(outcomes[10], IntegrityError)
    assert [o for i, o in enumerate(outcomes) if i != 10] == [None] * 20
    assert len(await store.messages("CP2", limit=100)) == 20
    assert await store.messages("CP1") == []
    assert await store.connectors("CP1") == []  # the bad batch was written not at all

    with pytest.raises(IntegrityError):  # alone in its group, too
        await store.write(bad)
    await good(99)  # and the writer carries on
    assert store.stats.failed_batches == 2
    assert (await store.messages("CP2"))[0].raw == "ok99"


async def test_a_bad_batch_is_isolated_by_halves_not_one_by_one(
        store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from evfault.store.loop_writer import LoopGroupWriter
    from evfault.store.writer import GroupWriter

    calls = 0
    for cls in (LoopGroupWriter, GroupWriter):
        real = cls._write

        def counted(self: Any, *args: Any, _real: Any = real) -> None:
            nonlocal calls
            calls += 1
            _real(self, *args)

        monkeypatch.setattr(cls, "_write", counted)
    bad = WriteBatch(messages=[MessageRow("CP1", "in", at(0), None)])  # type: ignore[arg-type]
    goods = [write(store, messages=[MessageRow("CP2", "in", at(n), f"ok{n}")]) for n in range(64)]
    outcomes = await asyncio.gather(*goods[:32], store.write(bad), *goods[32:],
                                    return_exceptions=True)
    assert isinstance(outcomes[32], IntegrityError)
    assert len(await store.messages("CP2", limit=100)) == 64
    # One try of the group, then halves down to the bad batch: 1 + 2·log2(65) ≈ 15 writes;
    # one by one it took 1 + 65.
    assert calls <= 20


async def test_a_failed_commit_fails_its_group_and_the_writer_carries_on(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite the COMMIT runs in a thread of its own (loop_writer.py): its failure must
    # reach every writer of the group, roll the group back, and leave the store working.
    from evfault.store.loop_writer import LoopGroupWriter

    async with open_store(sqlite_url) as store:
        real = LoopGroupWriter._commit

        def refuse(transaction: Any) -> float:
            monkeypatch.setattr(LoopGroupWriter, "_commit", staticmethod(real))
            transaction.rollback()
            raise OSError("disk I/O error")

        monkeypatch.setattr(LoopGroupWriter, "_commit", staticmethod(refuse))
        outcomes = await asyncio.gather(
            *(write(store, messages=[MessageRow("CP1", "in", at(n), f"lost{n}")])
              for n in range(5)), return_exceptions=True)
        assert [type(o) for o in outcomes] == [OSError] * 5
        await write(store, messages=[MessageRow("CP1", "in", at(9), "kept")])
        assert [m.raw for m in await store.messages("CP1")] == ["kept"]
        assert (store.stats.failed_batches, store.stats.batches) == (5, 1)


async def test_empty_batch_returns_at_once(store: SqlStore) -> None:
    await store.write(WriteBatch())
    assert store.stats.batches == 0


async def test_write_outside_the_stores_life_is_refused(db_url: str) -> None:
    store = open_store(db_url)
    batch = WriteBatch(messages=[MessageRow("CP1", "in", at(0), "x")])
    with pytest.raises(RuntimeError, match="not started"):
        await store.write(batch)
    await store.start()
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.write(batch)
    with pytest.raises(RuntimeError, match="not open"):
        await store.chargers()
