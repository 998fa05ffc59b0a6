"""The reboot rule: after a boot, an active error must be re-reported within the window."""

from __future__ import annotations

from evfault.decode.model import SetRule
from evfault.tracking.model import Booted, ChangeKind, ClearedBy
from test_tracking_support import (
    CHARGEX,
    CP,
    codes,
    fault,
    make_tracker,
    no_error,
    only,
    received,
    report,
    summary,
    t,
)


def test_fault_that_persists_across_a_reboot_is_the_same_incident() -> None:
    tr = make_tracker(reboot_window=60)
    opened = only(tr.handle(received(report(fault("F005")), t(0))), ChangeKind.OPENED, "F005")
    assert tr.handle(Booted(CP, t(100))) == []
    again = tr.handle(received(report(fault("F005"), ts=t(110)), t(110)))
    assert summary(again) == [("continued", "F005")]
    assert only(again, ChangeKind.CONTINUED, "F005").id == opened.id
    assert tr.tick(t(200)) == []
    assert [i.id for i in tr.active()] == [opened.id]


def test_fault_not_re_reported_clears_by_reboot_at_boot_time() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(received(report(fault("F005"), ts=t(0)), t(0)))
    tr.handle(Booted(CP, t(100)))
    assert tr.tick(t(159)) == []  # the window is still open
    changes = tr.tick(t(160))
    gone = only(changes, ChangeKind.CLEARED, "F005")
    assert (gone.cleared_by, gone.cleared_at, gone.cleared_received_at) == (
        ClearedBy.REBOOT, t(100), t(100))
    assert tr.active() == []
    assert summary(tr.tick(t(10_000))) == []


def test_no_error_after_a_boot_means_the_reboot_cleared_it() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(received(report(fault("F005")), t(0)))
    tr.handle(Booted(CP, t(100)))
    changes = tr.handle(received(no_error(ts=t(103)), t(103)))
    gone = only(changes, ChangeKind.CLEARED, "F005")
    assert (gone.cleared_by, gone.cleared_at) == (ClearedBy.REBOOT, t(100))


def test_compound_set_after_a_boot_keeps_what_is_re_reported() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(received(report(fault("F001"), fault("F003"), status="Finishing"), t(0)))
    tr.handle(Booted(CP, t(100)))
    changes = tr.handle(received(report(fault("F003"), status="Finishing", ts=t(104)), t(104)))
    assert summary(changes) == [("continued", "F003"), ("cleared", "F001")]
    assert only(changes, ChangeKind.CLEARED, "F001").cleared_by is ClearedBy.REBOOT
    assert tr.tick(t(300)) == []
    assert codes(tr.active()) == ["F003"]


def test_re_report_after_the_window_opens_a_new_incident_even_without_ticks() -> None:
    tr = make_tracker(reboot_window=60)
    old = only(tr.handle(received(report(fault("F005")), t(0))), ChangeKind.OPENED, "F005")
    tr.handle(Booted(CP, t(100)))
    changes = tr.handle(received(report(fault("F005"), ts=t(170)), t(170)))
    assert summary(changes) == [("cleared", "F005"), ("opened", "F005")]
    cleared = only(changes, ChangeKind.CLEARED, "F005")
    assert (cleared.id, cleared.cleared_at, cleared.cleared_by) == (old.id, t(100),
                                                                    ClearedBy.REBOOT)
    assert only(changes, ChangeKind.OPENED, "F005").id != old.id


def test_accumulated_codes_not_re_reported_clear_by_reboot() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(received(report(fault("CX019", CHARGEX), rule=SetRule.ACCUMULATE), t(0)))
    tr.handle(received(report(fault("CX001", CHARGEX), rule=SetRule.ACCUMULATE), t(1)))
    tr.handle(Booted(CP, t(100)))
    tr.handle(received(report(fault("CX001", CHARGEX), rule=SetRule.ACCUMULATE), t(105)))
    changes = tr.tick(t(160))
    assert summary(changes) == [("cleared", "CX019")]
    assert codes(tr.active()) == ["CX001"]


def test_a_second_boot_keeps_the_first_boot_time_for_what_is_still_waiting() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(received(report(fault("F005")), t(0)))
    tr.handle(Booted(CP, t(100)))
    tr.handle(Booted(CP, t(130)))  # boot loop
    assert tr.tick(t(180)) == []  # the second boot's window is still open
    gone = only(tr.tick(t(190)), ChangeKind.CLEARED, "F005")
    assert gone.cleared_at == t(100)


def test_a_boot_affects_only_its_own_charger() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(received(report(fault("F005")), t(0), charger="A"))
    tr.handle(received(report(fault("F005")), t(0), charger="B"))
    tr.handle(Booted("A", t(100)))
    tr.tick(t(200))
    assert [i.charger_id for i in tr.active()] == ["B"]


def test_a_boot_with_nothing_active_sets_no_deadline() -> None:
    tr = make_tracker(reboot_window=60)
    tr.handle(Booted(CP, t(0)))
    assert tr.deadline_count == 1  # the silence check only
