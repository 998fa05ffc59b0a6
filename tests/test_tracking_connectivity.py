"""Online and offline: connections, the grace after a drop, silences, and what they cost."""

from __future__ import annotations

import pytest

from evfault.tracking.model import Booted, Connected, ConnectivityChange, Disconnected, Heard
from evfault.tracking.tracker import TrackerConfig
from test_tracking_support import (
    CP,
    fault,
    links,
    make_tracker,
    received,
    report,
    t,
)


def link(online: bool, at: float, reason: str, charger: str = CP) -> ConnectivityChange:
    return ConnectivityChange(charger, online, t(at), reason)


def test_connected_brings_a_charger_online_once() -> None:
    tr = make_tracker()
    assert tr.handle(Connected(CP, t(0))) == [link(True, 0, "connected")]
    assert tr.handle(Connected(CP, t(1))) == []
    assert tr.online(CP) is True


def test_offline_after_the_grace_dated_from_the_last_message() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Heard(CP, t(50)))
    assert tr.handle(Disconnected(CP, t(80))) == []
    assert tr.tick(t(199)) == []
    assert tr.tick(t(200)) == [link(False, 50, "disconnected")]
    assert tr.online(CP) is False
    assert tr.tick(t(5000)) == []


def test_offline_dated_at_the_drop_when_nothing_was_said_on_the_connection() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Disconnected(CP, t(30)))
    assert tr.tick(t(150)) == [link(False, 30, "disconnected")]


def test_reconnect_within_the_grace_produces_nothing() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Heard(CP, t(10)))
    tr.handle(Disconnected(CP, t(20)))
    assert tr.handle(Connected(CP, t(100))) == []
    assert tr.tick(t(10_000)) == [link(False, 100, "silent")]  # only its later silence counts
    assert tr.tick(t(20_000)) == []


def test_reconnect_after_the_grace_comes_back_online() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Disconnected(CP, t(20)))
    tr.tick(t(200))
    assert tr.handle(Connected(CP, t(300))) == [link(True, 300, "connected")]


def test_offline_is_found_by_the_next_event_even_without_ticks() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Heard(CP, t(5)))
    tr.handle(Disconnected(CP, t(20)))
    changes = tr.handle(Connected(CP, t(500)))
    assert changes == [link(False, 5, "disconnected"), link(True, 500, "connected")]


def test_a_second_close_of_the_same_connection_is_ignored() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Disconnected(CP, t(10)))
    tr.handle(Disconnected(CP, t(100)))
    assert tr.tick(t(130)) == [link(False, 10, "disconnected")]


def test_silence_marks_offline_from_the_last_message_and_speech_restores() -> None:
    tr = make_tracker(heartbeat_interval=300, silence_heartbeats=3)
    tr.handle(Connected(CP, t(0)))
    for n in range(1, 5):
        tr.handle(Heard(CP, t(n * 300)))  # heartbeats on time
    assert tr.tick(t(1200 + 899)) == []
    assert tr.tick(t(1200 + 900)) == [link(False, 1200, "silent")]
    assert tr.handle(Heard(CP, t(3000))) == [link(True, 3000, "restored")]
    assert tr.tick(t(3000 + 899)) == []
    assert tr.tick(t(3000 + 900)) == [link(False, 3000, "silent")]


def test_silence_is_found_by_the_next_message_even_without_ticks() -> None:
    tr = make_tracker(heartbeat_interval=300, silence_heartbeats=3)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Heard(CP, t(10)))
    assert tr.handle(Heard(CP, t(2000))) == [link(False, 10, "silent"),
                                             link(True, 2000, "restored")]


def test_per_charger_heartbeat_interval() -> None:
    tr = make_tracker(heartbeat_interval=300, silence_heartbeats=3)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Connected("slow", t(0)))
    tr.set_heartbeat_interval(CP, 60)  # told 60 s in its BootNotification answer
    assert tr.tick(t(179)) == []
    assert tr.tick(t(180)) == [link(False, 0, "silent")]
    assert tr.tick(t(900)) == [link(False, 0, "silent", charger="slow")]


def test_silence_not_judged_with_no_heartbeat_interval() -> None:
    tr = make_tracker(heartbeat_interval=0)
    tr.handle(Connected(CP, t(0)))
    assert tr.tick(t(10**7)) == []
    tr.set_heartbeat_interval(CP, 10)
    assert tr.tick(t(10**7 + 1)) == [link(False, 0, "silent")]


def test_a_message_without_a_known_connection_counts_as_connecting() -> None:
    # Log files often hold messages but no connection events.
    tr = make_tracker()
    changes = tr.handle(received(report(fault("F001")), t(0)))
    assert links(changes) == [link(True, 0, "connected")]
    assert links(tr.handle(Booted(CP, t(5)))) == []


def test_a_message_after_a_drop_within_the_grace_cancels_it() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Disconnected(CP, t(10)))
    assert tr.handle(Heard(CP, t(20))) == []
    assert tr.tick(t(500)) == []


def test_a_forgotten_charger_has_no_more_deadlines() -> None:
    tr = make_tracker(offline_grace=120)
    tr.handle(Connected(CP, t(0)))
    tr.handle(Disconnected(CP, t(10)))
    tr.forget(CP)
    assert tr.tick(t(10**6)) == []
    assert tr.online(CP) is None


# ---- cost at scale -------------------------------------------------------------------------


def test_heartbeats_do_no_heap_work() -> None:
    tr = make_tracker(heartbeat_interval=300)
    chargers = [f"CP-{n}" for n in range(2000)]
    for cp in chargers:
        tr.handle(Connected(cp, t(0)))
        tr.handle(Heard(cp, t(1)))
    before = tr.deadline_count
    for beat in range(2, 60):
        for cp in chargers:
            assert tr.heard(cp, t(beat)) == []
    assert tr.deadline_count == before == len(chargers)  # one silence entry per charger


def test_a_tick_with_nothing_due_touches_no_charger() -> None:
    tr = make_tracker(heartbeat_interval=300)
    for n in range(2000):
        tr.handle(Connected(f"CP-{n}", t(0)))
    tr.tick(t(100))
    # Deadlines sit in the heap untouched until they are due: nothing popped, nothing pushed.
    assert tr.deadline_count == 2000
    assert tr.tick(t(899)) == []
    assert tr.deadline_count == 2000


def test_silence_deadlines_re_arm_once_per_span_not_per_message() -> None:
    tr = make_tracker(heartbeat_interval=300, silence_heartbeats=3)
    tr.handle(Connected(CP, t(0)))
    for second in range(1, 2000):
        tr.handle(Heard(CP, t(second)))
        tr.tick(t(second))
    assert tr.online(CP) is True
    assert tr.deadline_count == 1


def test_negative_or_endless_times_are_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="offline_grace must be a finite number"):
        TrackerConfig(offline_grace=-1)
    with pytest.raises(ValueError, match="heartbeat interval"):
        make_tracker().set_heartbeat_interval(CP, float("inf"))
