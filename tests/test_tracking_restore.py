"""A restarted tracker, rebuilt from what the store holds, carries on with the same incidents."""

from __future__ import annotations

from dataclasses import replace

from evfault.decode.model import SetRule
from evfault.store.model import ChargerRow, ConnectorRow
from evfault.tracking.model import ChangeKind, ClearedBy, Connected, ConnectivityChange, Heard
from evfault.tracking.tracker import Tracker, TrackerConfig
from test_tracking_support import (
    CHARGEX,
    CP,
    codes,
    counter_ids,
    fault,
    make_tracker,
    no_error,
    only,
    received,
    report,
    status_changes,
    summary,
    t,
)


def charger_row(charger_id: str = CP, online: bool = True, last_seen: float | None = 100,
                booted_at: float | None = None) -> ChargerRow:
    return ChargerRow(
        charger_id=charger_id, online=online,
        last_seen=None if last_seen is None else t(last_seen),
        vendor=None, model=None, serial=None, firmware=None, protocol="1.6",
        booted_at=None if booted_at is None else t(booted_at), offline_since=None,
    )


def restarted(before: Tracker, **config: float) -> Tracker:
    """A fresh tracker rebuilt from `before` the way the server rebuilds from its store."""
    after = Tracker(TrackerConfig(**config), counter_ids("new"))
    connectors = [ConnectorRow(CP, cid, status, None, t(100))
                  for cid in (1, 2) if (status := before.status(CP, cid)) is not None]
    after.restore(before.active(), connectors, [charger_row()])
    return after


def test_restart_continues_the_same_incidents() -> None:
    before = make_tracker()
    before.handle(received(report(fault("F001"), fault("F003"), status="Finishing"), t(0)))
    before.handle(received(report(fault("CX019", CHARGEX), connector=2,
                                  rule=SetRule.ACCUMULATE), t(1)))
    ids = {i.code: i.id for i in before.active()}

    after = restarted(before)
    assert [(i.code, i.id) for i in after.active()] == list(ids.items())

    shrink = after.handle(received(report(fault("F003"), status="Finishing"), t(200)))
    assert summary(shrink) == [("continued", "F003"), ("cleared", "F001")]
    assert only(shrink, ChangeKind.CONTINUED, "F003").id == ids["F003"]
    assert only(shrink, ChangeKind.CLEARED, "F001").id == ids["F001"]
    assert status_changes(shrink) == []  # the connector status was restored too

    resolved = after.handle(received(report(cleared=[fault("CX019", CHARGEX)], connector=2,
                                            rule=SetRule.ACCUMULATE), t(201)))
    gone = only(resolved, ChangeKind.CLEARED, "CX019")
    assert (gone.id, gone.cleared_by) == (ids["CX019"], ClearedBy.RESOLVED)
    assert codes(after.active()) == ["F003"]


def test_restart_then_no_error_clears_the_restored_incident() -> None:
    before = make_tracker()
    before.handle(received(report(fault("F005")), t(0)))
    after = restarted(before)
    gone = only(after.handle(received(no_error(), t(300))), ChangeKind.CLEARED, "F005")
    assert (gone.id, gone.cleared_by, gone.opened_at) == ("inc-1", ClearedBy.NO_ERROR, t(0))


def test_restored_online_charger_that_reconnects_stays_online() -> None:
    tr = make_tracker(heartbeat_interval=300, silence_heartbeats=3)
    tr.restore([], [], [charger_row(last_seen=100)])
    assert tr.online(CP) is True
    assert tr.handle(Connected(CP, t(150))) == []
    assert tr.handle(Heard(CP, t(160))) == []


def test_restored_online_charger_that_never_returns_goes_silent_from_its_last_message() -> None:
    tr = make_tracker(heartbeat_interval=300, silence_heartbeats=3)
    tr.restore([], [], [charger_row(last_seen=100)], heartbeat_intervals={CP: 60})
    assert tr.tick(t(279)) == []
    assert tr.tick(t(280)) == [ConnectivityChange(CP, False, t(100), "silent")]


def test_restored_offline_charger_comes_back_on_connect() -> None:
    tr = make_tracker()
    tr.restore([], [], [charger_row(online=False)])
    assert tr.tick(t(10**6)) == []
    assert tr.handle(Connected(CP, t(10**6))) == [
        ConnectivityChange(CP, True, t(10**6), "connected")]


def test_restored_boot_time_still_judges_timestamps() -> None:
    tr = make_tracker()
    tr.restore([], [], [charger_row(booted_at=1000, last_seen=1000)])
    opened = only(tr.handle(received(report(fault("F001"), ts=t(10)), t(1010))),
                  ChangeKind.OPENED, "F001")
    assert opened.time_flagged


def test_restore_replaces_what_was_held_for_those_chargers() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001")), t(0)))
    tr.handle(received(report(fault("F002")), t(0), charger="other"))
    kept = tr.active("other")
    stored = replace(tr.active(CP)[0], code="F009")
    tr.restore([stored], [], [charger_row()])
    assert codes(tr.active(CP)) == ["F009"]
    assert tr.active("other") == kept


def test_restore_keeps_the_earliest_of_duplicate_active_incidents() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001")), t(0)))
    first = tr.active()[0]
    later = replace(first, id="dup", opened_at=t(50))
    cleared = replace(first, id="old", cleared_at=t(1), cleared_by=ClearedBy.NO_ERROR)
    fresh = make_tracker()
    fresh.restore([later, cleared, first], [], [])
    assert [i.id for i in fresh.active()] == [first.id]
