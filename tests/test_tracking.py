"""The tracker's set rules: how each report opens, continues and clears incidents."""

from __future__ import annotations

import types
from datetime import UTC, datetime

from evfault.catalog.model import CatalogEntry, EntryText, Kind, Severity, Source
from evfault.decode.model import Fault, SetRule
from evfault.tracking.model import Booted, Change, ChangeKind, ClearedBy
from test_tracking_support import (
    CHARGEX,
    CP,
    OCPP16,
    codes,
    fault,
    incident_changes,
    make_tracker,
    no_error,
    only,
    received,
    report,
    status_changes,
    summary,
    t,
)

ACC = SetRule.ACCUMULATE

# ---- REPLACE: plain OCPP 1.6 and EVgo compound codes -------------------------------------


def test_evgo_compound_set_shrinks_then_clears_on_no_error() -> None:
    tr = make_tracker()
    first = tr.handle(received(
        report(fault("F001", info="1.11", reading=1.11), fault("F003", info="5.00", reading=5.0),
               status="Finishing", ts=t(0)), t(1)))
    assert summary(first) == [("opened", "F001"), ("opened", "F003")]
    f003 = only(first, ChangeKind.OPENED, "F003")

    second = tr.handle(received(report(fault("F003", info="5.10", reading=5.1),
                                       status="Finishing", ts=t(30)), t(31)))
    assert summary(second) == [("continued", "F003"), ("cleared", "F001")]
    f001 = only(second, ChangeKind.CLEARED, "F001")
    assert (f001.cleared_by, f001.cleared_at, f001.cleared_received_at) == (
        ClearedBy.REPLACED, t(30), t(31))
    again = only(second, ChangeKind.CONTINUED, "F003")
    assert again.id == f003.id
    assert (again.reports, again.reading_value, again.info, again.last_seen_at) == (
        2, 5.1, "5.10", t(30))
    assert codes(tr.active(CP)) == ["F003"]

    third = tr.handle(received(no_error(ts=t(60)), t(61)))
    gone = only(third, ChangeKind.CLEARED, "F003")
    assert (gone.id, gone.cleared_by, gone.cleared_at) == (f003.id, ClearedBy.NO_ERROR, t(60))
    assert gone.duration_s(t(1000)) == 60
    assert tr.active() == []


def test_replace_with_a_new_code_clears_the_old_one() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001")), t(0)))
    changes = tr.handle(received(report(fault("F002")), t(10)))
    assert summary(changes) == [("opened", "F002"), ("cleared", "F001")]
    assert only(changes, ChangeKind.CLEARED, "F001").cleared_by is ClearedBy.REPLACED


def test_repeated_notification_continues_and_never_duplicates() -> None:
    tr = make_tracker()
    opened = only(tr.handle(received(report(fault("F005")), t(0))), ChangeKind.OPENED, "F005")
    for n in range(1, 4):
        changes = tr.handle(received(report(fault("F005")), t(n * 10)))
        assert summary(changes) == [("continued", "F005")]
        assert only(changes, ChangeKind.CONTINUED, "F005").reports == n + 1
    assert [i.id for i in tr.active()] == [opened.id]


def test_a_code_listed_twice_in_one_message_is_one_incident() -> None:
    tr = make_tracker()
    changes = tr.handle(received(report(fault("F001", info="1.1"), fault("F001", info="1.2")),
                                 t(0)))
    assert summary(changes) == [("opened", "F001")]
    assert tr.active()[0].info == "1.1"


def test_plain_ocpp_error_code_then_no_error() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("GroundFailure", OCPP16), error_code="GroundFailure"), t(0)))
    changes = tr.handle(received(no_error(), t(5)))
    assert summary(changes) == [("cleared", "GroundFailure")]
    assert only(changes, ChangeKind.CLEARED, "GroundFailure").cleared_by is ClearedBy.NO_ERROR


def test_connectors_are_independent() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001"), connector=1), t(0)))
    tr.handle(received(report(fault("A004"), connector=0), t(1)))
    tr.handle(received(no_error(connector=1), t(2)))
    assert [(i.connector_id, i.code) for i in tr.active(CP)] == [(0, "A004")]


# ---- ACCUMULATE: ChargeX / EVerest and OCPP 2.0.1 ---------------------------------------


def test_chargex_accumulates_and_clears_one_at_a_time() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("CX001", CHARGEX), rule=ACC, version="1.6"), t(0)))
    second = tr.handle(received(report(fault("CX019", CHARGEX, info="105"), rule=ACC,
                                       version="1.6"), t(10)))
    assert summary(second) == [("opened", "CX019")]
    assert codes(tr.active()) == ["CX001", "CX019"]

    # EVerest: "Error CX001 resolved" while errorCode still names the other active error.
    resolved = tr.handle(received(report(cleared=[fault("CX001", CHARGEX)], rule=ACC,
                                         version="1.6", error_code="HighTemperature"), t(20)))
    assert summary(resolved) == [("cleared", "CX001")]
    assert only(resolved, ChangeKind.CLEARED, "CX001").cleared_by is ClearedBy.RESOLVED
    assert codes(tr.active()) == ["CX019"]

    # The last one resolves with errorCode NoError.
    last = tr.handle(received(report(cleared=[fault("CX019", CHARGEX)], rule=ACC, version="1.6",
                                     status="Available", clear_all=True,
                                     error_code="NoError"), t(30)))
    assert summary(last) == [("cleared", "CX019")]
    assert only(last, ChangeKind.CLEARED, "CX019").cleared_by is ClearedBy.RESOLVED
    assert tr.active() == []


def test_accumulate_report_repeats_continue_the_same_incident() -> None:
    tr = make_tracker()
    first = tr.handle(received(report(fault("CX019", CHARGEX), rule=ACC), t(0)))
    again = tr.handle(received(report(fault("CX019", CHARGEX), rule=ACC), t(5)))
    assert summary(again) == [("continued", "CX019")]
    opened = only(first, ChangeKind.OPENED, "CX019")
    assert only(again, ChangeKind.CONTINUED, "CX019").id == opened.id


def test_ocpp201_cleared_event() -> None:
    tr = make_tracker()
    raised = report(fault("CX011", CHARGEX), status=None, rule=ACC, version="2.0.1")
    tr.handle(received(raised, t(0)))
    changes = tr.handle(received(report(cleared=[fault("CX011", CHARGEX)], status=None, rule=ACC,
                                        version="2.0.1", ts=t(8)), t(9)))
    gone = only(changes, ChangeKind.CLEARED, "CX011")
    assert (gone.cleared_by, gone.cleared_at) == (ClearedBy.CLEARED_EVENT, t(8))


def test_clear_reason_without_version_follows_the_message_kind() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("CX011", CHARGEX), status=None, rule=ACC), t(0)))
    tr.handle(received(report(fault("CX002", CHARGEX), rule=ACC), t(0)))
    event = tr.handle(received(report(cleared=[fault("CX011", CHARGEX)], status=None, rule=ACC),
                               t(1)))
    status = tr.handle(received(report(cleared=[fault("CX002", CHARGEX)], rule=ACC), t(2)))
    assert only(event, ChangeKind.CLEARED, "CX011").cleared_by is ClearedBy.CLEARED_EVENT
    assert only(status, ChangeKind.CLEARED, "CX002").cleared_by is ClearedBy.RESOLVED


def test_ocpp201_events_name_their_own_evse() -> None:
    tr = make_tracker()
    msg = report(fault("CX011", CHARGEX, connector_id=2), fault("CX019", CHARGEX),
                 connector=1, status=None, rule=ACC, version="2.0.1")
    tr.handle(received(msg, t(0)))
    assert sorted((i.connector_id, i.code) for i in tr.active()) == [(1, "CX019"), (2, "CX011")]
    tr.handle(received(report(cleared=[fault("CX011", CHARGEX, connector_id=2)], connector=0,
                              status=None, rule=ACC, version="2.0.1"), t(5)))
    assert [(i.connector_id, i.code) for i in tr.active()] == [(1, "CX019")]


def test_no_error_clears_everything_on_the_connector() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("CX001", CHARGEX), rule=ACC), t(0)))
    tr.handle(received(report(fault("CX019", CHARGEX), rule=ACC), t(1)))
    tr.handle(received(report(fault("F001"), connector=2), t(2)))
    changes = tr.handle(received(no_error(ts=t(3)), t(4)))
    assert summary(changes) == [("cleared", "CX001"), ("cleared", "CX019")]
    assert {c.incident.cleared_by for c in incident_changes(changes)} == {ClearedBy.NO_ERROR}
    assert codes(tr.active()) == ["F001"]


def test_status_only_report_with_no_error_is_clear_all() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001"), status="Charging"), t(0)))
    changes = tr.handle(received(no_error(status="Charging"), t(10)))
    assert only(changes, ChangeKind.CLEARED, "F001").cleared_by is ClearedBy.NO_ERROR


def test_replace_report_leaves_accumulated_codes_alone() -> None:
    # EVerest sends its non-MREC errors as OtherError with an unregistered vendorId, which the
    # decoder reads as plain OCPP (REPLACE); that must not wipe the ChargeX codes it clears
    # one by one.
    tr = make_tracker()
    tr.handle(received(report(fault("CX019", CHARGEX), rule=ACC), t(0)))
    changes = tr.handle(received(report(fault("evse_manager/Stuck", "unknown")), t(5)))
    assert summary(changes) == [("opened", "evse_manager/Stuck")]
    after = tr.handle(received(report(fault("OverVoltage", OCPP16)), t(6)))
    assert summary(after) == [("opened", "OverVoltage"), ("cleared", "evse_manager/Stuck")]
    assert codes(tr.active()) == ["CX019", "OverVoltage"]


def test_accumulate_without_an_error_field_clears_nothing() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001")), t(0)))
    assert tr.handle(received(report(status="Faulted", rule=ACC), t(1))) == []
    assert codes(tr.active()) == ["F001"]


def test_clearing_a_code_that_is_not_active_changes_nothing() -> None:
    tr = make_tracker()
    changes = tr.handle(received(report(cleared=[fault("CX003", CHARGEX)], rule=ACC), t(0)))
    assert summary(changes) == []


def test_a_code_raised_and_cleared_in_one_message_ends_cleared() -> None:
    tr = make_tracker()
    changes = tr.handle(received(report(fault("CX011", CHARGEX), cleared=[fault("CX011", CHARGEX)],
                                        status=None, rule=ACC, version="2.0.1"), t(0)))
    assert summary(changes) == [("opened", "CX011"), ("cleared", "CX011")]
    assert tr.active() == []


# ---- what an incident carries ----------------------------------------------------------


def test_warning_only_for_a_non_faulted_status() -> None:
    tr = make_tracker()
    opened = only(tr.handle(received(report(fault("F001"), status="Charging"), t(0))),
                  ChangeKind.OPENED, "F001")
    assert (opened.warning_only, opened.status) == (True, "Charging")
    worse = only(tr.handle(received(report(fault("F001"), status="Faulted"), t(5))),
                 ChangeKind.CONTINUED, "F001")
    assert (worse.warning_only, worse.status) == (False, "Faulted")


def test_an_event_without_status_is_not_a_warning_and_keeps_the_judgement() -> None:
    tr = make_tracker()
    first = tr.handle(received(report(fault("CX019", CHARGEX), status=None, rule=ACC), t(0)))
    assert only(first, ChangeKind.OPENED, "CX019").warning_only is False
    tr.handle(received(report(fault("F001"), status="SuspendedEVSE", connector=2), t(1)))
    again = tr.handle(received(report(fault("F001"), status=None, connector=2, rule=ACC), t(2)))
    assert only(again, ChangeKind.CONTINUED, "F001").warning_only is True


def test_title_and_severity_come_from_the_catalog_entry() -> None:
    entry = CatalogEntry(
        scheme="evgo-mrec", code="F010", kind=Kind.ERROR, severity=Severity.CRITICAL,
        category="cable", classification=("safety",), user_actionable=False,
        responsibility=("CSO",), source=Source("EVgo MREC", "1.0.1", "https://mrec.evgo.com"),
        texts=types.MappingProxyType({"en": EntryText("Cable Cut", "The cable is cut.", (), (),
                                                       ())}),
    )
    known = Fault("evgo-mrec", "F010", "F010", entry, vendor_id="com.evgo.mrec")
    opened = only(tr_handle_one(known), ChangeKind.OPENED, "F010")
    assert (opened.title, opened.severity, opened.vendor_id) == (
        "Cable Cut", "critical", "com.evgo.mrec")
    unknown = only(tr_handle_one(fault("Z999", "unknown")), ChangeKind.OPENED, "Z999")
    assert (unknown.title, unknown.severity) == ("Unknown code Z999", "warning")


def tr_handle_one(f: Fault) -> list[Change]:
    return make_tracker().handle(received(report(f), t(0)))


def test_reading_and_info_are_kept_and_follow_the_latest_report() -> None:
    tr = make_tracker()
    opened = only(tr.handle(received(report(fault("F009", info="96", reading=96, unit="°C")),
                                     t(0))), ChangeKind.OPENED, "F009")
    assert (opened.info, opened.reading_value, opened.reading_unit) == ("96", 96, "°C")
    later = only(tr.handle(received(report(fault("F009", info="99", reading=99, unit="°C")),
                                    t(9))), ChangeKind.CONTINUED, "F009")
    assert (later.info, later.reading_value, later.opened_at) == ("99", 99, t(0))


# ---- times ------------------------------------------------------------------------------


def test_charger_time_dates_the_incident_when_plausible() -> None:
    tr = make_tracker()
    opened = only(tr.handle(received(report(fault("F001"), ts=t(-20)), t(0))),
                  ChangeKind.OPENED, "F001")
    assert (opened.opened_at, opened.opened_received_at, opened.time_flagged) == (
        t(-20), t(0), False)


def test_missing_timestamp_falls_back_to_receipt_and_is_flagged() -> None:
    tr = make_tracker()
    opened = only(tr.handle(received(report(fault("F001"), ts=None), t(0))),
                  ChangeKind.OPENED, "F001")
    assert (opened.opened_at, opened.time_flagged) == (t(0), True)


def test_future_timestamps_beyond_the_skew_are_flagged() -> None:
    tr = make_tracker(clock_skew=300)
    near = only(tr.handle(received(report(fault("F001"), ts=t(300)), t(0))),
                ChangeKind.OPENED, "F001")
    assert (near.opened_at, near.time_flagged) == (t(300), False)
    far = only(tr.handle(received(report(fault("F002"), connector=2, ts=t(301)), t(0))),
               ChangeKind.OPENED, "F002")
    assert (far.opened_at, far.time_flagged) == (t(0), True)


def test_timestamp_before_the_last_boot_is_flagged() -> None:
    tr = make_tracker()
    tr.handle(Booted(CP, t(100)))
    stale_clock = only(tr.handle(received(report(fault("F001"), ts=t(-86400)), t(105))),
                       ChangeKind.OPENED, "F001")
    assert (stale_clock.opened_at, stale_clock.time_flagged) == (t(105), True)


def test_naive_timestamp_is_flagged() -> None:
    tr = make_tracker()
    naive = t(-5).replace(tzinfo=None)
    opened = only(tr.handle(received(report(fault("F001"), ts=naive), t(0))),
                  ChangeKind.OPENED, "F001")
    assert (opened.opened_at, opened.time_flagged) == (t(0), True)


def test_clear_time_never_precedes_the_opening() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001"), ts=t(50)), t(50)))
    changes = tr.handle(received(no_error(ts=t(40)), t(60)))  # a clock stepped back
    gone = only(changes, ChangeKind.CLEARED, "F001")
    # Not believed: the time of receipt dates the clear, flagged (never a 0 s repair).
    assert (gone.cleared_at, gone.cleared_received_at) == (t(60), t(60))
    assert gone.time_flagged


def test_a_1970_clear_is_dated_by_receipt_not_by_the_opening() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001"), ts=t(0)), t(0)))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    gone = only(tr.handle(received(no_error(ts=epoch), t(3600))), ChangeKind.CLEARED, "F001")
    assert (gone.cleared_at, gone.time_flagged) == (t(3600), True)
    assert gone.duration_s(t(9999)) == 3600


def test_times_before_the_charger_existed_are_not_believed() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001"), ts=t(0)), t(0)))
    ancient = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    opened = only(tr.handle(received(report(fault("F001"), fault("F002"), ts=ancient), t(10))),
                  ChangeKind.OPENED, "F002")
    assert (opened.opened_at, opened.time_flagged) == (t(10), True)
    late = datetime.fromisoformat("9999-12-31T23:59:59-14:00")
    opened = only(tr.handle(received(report(fault("F003"), ts=late), t(20))),
                  ChangeKind.OPENED, "F003")
    assert (opened.opened_at, opened.time_flagged) == (t(20), True)


def test_a_connector_holds_a_bounded_number_of_open_incidents() -> None:
    tr = make_tracker(max_open_incidents=3)
    tr.handle(received(report(fault("F001"), fault("F002"), rule=ACC, ts=t(0)), t(0)))
    tr.handle(received(report(fault("F003"), fault("F004"), fault("F005"), rule=ACC, ts=t(1)),
                       t(1)))
    assert codes(tr.active(CP)) == ["F001", "F002", "F003"]
    assert tr.refused_incidents == 2


def test_flagged_clear_time_flags_the_incident() -> None:
    tr = make_tracker()
    tr.handle(received(report(fault("F001"), ts=t(0)), t(0)))
    gone = only(tr.handle(received(no_error(ts=None), t(30))), ChangeKind.CLEARED, "F001")
    assert (gone.cleared_at, gone.time_flagged) == (t(30), True)


# ---- status periods ---------------------------------------------------------------------


def test_status_change_only_when_the_status_differs() -> None:
    tr = make_tracker()
    first = status_changes(tr.handle(received(no_error(status="Available", ts=t(0)), t(1))))
    assert [(s.status, s.previous, s.at) for s in first] == [("Available", None, t(0))]
    assert status_changes(tr.handle(received(no_error(status="Available"), t(2)))) == []
    charging = status_changes(tr.handle(received(no_error(status="Charging", ts=None), t(3))))
    assert [(s.status, s.previous, s.at, s.time_flagged) for s in charging] == [
        ("Charging", "Available", t(3), True)]
    assert tr.status(CP, 1) == "Charging"


def test_status_is_per_connector() -> None:
    tr = make_tracker()
    tr.handle(received(no_error(connector=1, status="Available"), t(0)))
    changes = status_changes(tr.handle(received(no_error(connector=2, status="Available"), t(1))))
    assert [(s.connector_id, s.previous) for s in changes] == [(2, None)]


# ---- the copies an incident goes through -------------------------------------------------


def test_continuing_and_clearing_carry_every_other_field_over() -> None:
    # `continued` and `cleared` spell out every field of Incident (cheaper than
    # dataclasses.replace): a field added to Incident and forgotten there would be reset.
    from dataclasses import fields, replace

    from evfault.tracking.connector import ReportContext, cleared, continued
    from evfault.tracking.model import Incident
    from evfault.tracking.timing import Stamp

    distinct = {
        "id": "i9", "charger_id": "CPX", "connector_id": 7, "scheme": "s", "code": "C",
        "title": "T", "severity": "critical", "opened_at": t(1), "opened_received_at": t(2),
        "vendor_id": "v", "error_code": "E", "info": "old", "reading_value": 1.5,
        "reading_unit": "A", "status": "Faulted", "warning_only": True, "time_flagged": True,
        "last_seen_at": t(3), "reports": 4, "cleared_at": t(5), "cleared_by": ClearedBy.REBOOT,
        "cleared_received_at": t(6), "set_rule": ACC, "code_guessed": True,
    }
    assert set(distinct) == {f.name for f in fields(Incident)}, "give the new field a value"
    before = Incident(**distinct)

    ctx = ReportContext("CPX", 7, Stamp(t(9), t(10), False), None, None, SetRule.REPLACE,
                        lambda: "unused")
    plain = replace(fault("C", "s", info="new"), vendor_id=None, error_code=None)
    after = continued(before, plain, ctx)
    # code_guessed: a report that names the code's vendorId confirms what was a guess.
    changed = {"info", "reading_value", "reading_unit", "last_seen_at", "reports", "set_rule",
               "code_guessed"}
    for f in fields(Incident):
        if f.name not in changed:
            assert getattr(after, f.name) == distinct[f.name], f.name
    assert (after.info, after.reports, after.last_seen_at, after.set_rule) == (
        "new", 5, t(9), SetRule.REPLACE)
    assert not after.code_guessed

    gone = cleared(before, Stamp(t(20), t(21), False), ClearedBy.NO_ERROR)
    changed = {"cleared_at", "cleared_by", "cleared_received_at"}
    for f in fields(Incident):
        if f.name not in changed:
            assert getattr(gone, f.name) == distinct[f.name], f.name
    assert (gone.cleared_at, gone.cleared_by, gone.cleared_received_at) == (
        t(20), ClearedBy.NO_ERROR, t(21))
