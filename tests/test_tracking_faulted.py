"""A connector Faulted with no code stays visible; an "all is well" answer to our status request
closes incidents as `reconciled` (issue 9 "Faulted with no code", issue 10 "Reconcile")."""

from __future__ import annotations

import json

from evfault.decode import decode_payload
from evfault.decode.model import Report
from evfault.tracking.model import ChangeKind, ClearedBy, IncidentChange, ReportReceived
from test_tracking_support import CP, codes, make_tracker, t


def reports(payload: dict[str, object], version: str) -> list[Report]:
    action = "StatusNotification" if "status" in payload or "connectorStatus" in payload \
        else "NotifyEvent"
    return list(decode_payload(action, json.loads(json.dumps(payload)), version).reports)


def feed(tracker: object, payload: dict[str, object], version: str, at: float
         ) -> list[IncidentChange]:
    changes = []
    for r in reports(payload, version):
        changes += tracker.handle(ReportReceived(CP, r, t(at)))  # type: ignore[attr-defined]
    return [c for c in changes if isinstance(c, IncidentChange)]


def sn16(status: str, error: str = "NoError", **extra: object) -> dict[str, object]:
    return {"connectorId": 1, "errorCode": error, "status": status, **extra}


def sn201(status: str, evse: int = 1) -> dict[str, object]:
    return {"timestamp": "2026-03-01T12:00:00Z", "connectorStatus": status, "evseId": evse,
            "connectorId": 1}


def test_16_faulted_with_no_error_opens_faulted_no_code_until_it_leaves_faulted() -> None:
    tr = make_tracker()
    (opened,) = feed(tr, sn16("Faulted"), "1.6", 0)
    assert (opened.kind, opened.incident.scheme, opened.incident.code) == (
        ChangeKind.OPENED, "platform", "FaultedNoCode")
    assert opened.incident.title == "Faulted, no code given"
    (again,) = feed(tr, sn16("Faulted"), "1.6", 10)
    assert again.kind is ChangeKind.CONTINUED
    (gone,) = feed(tr, sn16("Available"), "1.6", 60)
    assert gone.kind is ChangeKind.CLEARED and gone.incident.cleared_at == t(60)
    assert tr.active(CP) == []


def test_16_faulted_with_a_code_is_that_code_and_replaces_no_code() -> None:
    tr = make_tracker()
    feed(tr, sn16("Faulted"), "1.6", 0)
    changes = feed(tr, sn16("Faulted", "GroundFailure"), "1.6", 5)
    assert codes(tr.active(CP)) == ["GroundFailure"]
    gone = next(c for c in changes if c.kind is ChangeKind.CLEARED)
    assert (gone.incident.code, gone.incident.cleared_by) == ("FaultedNoCode", ClearedBy.REPLACED)


def test_201_faulted_status_without_an_event_opens_no_code_and_leaving_clears_it() -> None:
    tr = make_tracker()
    (opened,) = feed(tr, sn201("Faulted"), "2.0.1", 0)
    assert opened.incident.code == "FaultedNoCode"
    (gone,) = feed(tr, sn201("Available"), "2.0.1", 30)
    assert (gone.kind, gone.incident.cleared_by) == (ChangeKind.CLEARED, ClearedBy.STATUS)


def test_201_faulted_status_after_an_event_code_adds_nothing() -> None:
    tr = make_tracker()
    event = {"generatedAt": "2026-03-01T12:00:00Z", "seqNo": 0, "eventData": [{
        "eventId": 1, "timestamp": "2026-03-01T12:00:00Z", "trigger": "Alerting",
        "actualValue": "true", "techCode": "GroundFault", "cleared": False,
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "Problem"}}]}
    assert feed(tr, event, "2.0.1", 0)
    assert feed(tr, sn201("Faulted"), "2.0.1", 1) == []
    assert "FaultedNoCode" not in codes(tr.active(CP))


def test_an_all_is_well_answer_to_a_reconcile_closes_as_reconciled() -> None:
    tr = make_tracker()
    feed(tr, sn16("Faulted", "GroundFailure"), "1.6", 0)
    assert tr.reconcile(CP, t(160)) == [1]
    (gone,) = feed(tr, sn16("Available"), "1.6", 100)
    assert gone.incident.cleared_by is ClearedBy.RECONCILED


def test_outside_the_window_no_error_is_no_error_and_nothing_to_ask_is_no_window() -> None:
    tr = make_tracker()
    feed(tr, sn16("Faulted", "GroundFailure"), "1.6", 0)
    tr.reconcile(CP, t(50))
    (gone,) = feed(tr, sn16("Available"), "1.6", 100)
    assert gone.incident.cleared_by is ClearedBy.NO_ERROR
    assert tr.reconcile(CP, t(500)) == []  # nothing open: nothing to ask


def test_a_reconcile_answer_that_still_reports_a_fault_keeps_it() -> None:
    tr = make_tracker()
    feed(tr, sn16("Faulted", "GroundFailure"), "1.6", 0)
    tr.reconcile(CP, t(160))
    (still,) = feed(tr, sn16("Faulted", "GroundFailure"), "1.6", 100)
    assert still.kind is ChangeKind.CONTINUED


def test_201_available_answers_a_reconcile_for_its_evse() -> None:
    tr = make_tracker()
    feed(tr, sn201("Faulted"), "2.0.1", 0)
    feed(tr, sn201("Faulted", evse=2), "2.0.1", 0)
    assert tr.reconcile(CP, t(160)) == [1, 2]
    changes = feed(tr, sn201("Available"), "2.0.1", 100)
    assert [(c.incident.connector_id, c.incident.cleared_by) for c in changes] == [
        (1, ClearedBy.RECONCILED)]
    assert [i.connector_id for i in tr.active(CP)] == [2]
