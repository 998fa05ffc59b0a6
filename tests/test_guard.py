"""ocpp/guard.py: what one charger message may carry before anything is tracked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.ocpp.guard import Bounds, guard
from evfault.ocpp.rpc import Fault, RpcError
from evfault.store.times import storable

BOUNDS = Bounds(max_codes=4, max_text=40)


def guarded(payload: dict[str, Any], action: str = "StatusNotification",
            version: str = "1.6") -> Any:
    return guard(version, action, payload, "m1", json.dumps(payload), BOUNDS)


def test_an_integer_no_database_can_hold_is_a_property_violation() -> None:
    with pytest.raises(RpcError) as caught:
        guarded({"connectorId": 2**63, "errorCode": "NoError", "status": "Available"})
    assert caught.value.fault is Fault.PROPERTY
    assert caught.value.message_id == "m1"
    assert "connectorId" in caught.value.description


def test_the_largest_storable_integer_passes() -> None:
    payload = {"connectorId": 2**63 - 1, "errorCode": "NoError", "status": "Available"}
    assert guarded(payload).payload == payload


def test_nul_is_replaced_and_flagged() -> None:
    done = guarded({"connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
                    "vendorErrorCode": "F0\x0001", "info": "a\x00b"})
    assert done.payload["vendorErrorCode"] == "F0\ufffd01"
    assert done.payload["info"] == "a\ufffdb"
    assert [w.rule for w in done.warnings] == ["nul-character"]


def test_a_huge_code_list_keeps_the_first_codes_and_counts_the_rest() -> None:
    codes = ",".join(f"F{i:03d}" for i in range(120_000))
    done = guarded({"connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
                    "vendorErrorCode": codes})
    assert done.payload["vendorErrorCode"] == "F000,F001,F002,F003"
    assert done.dropped == 120_000 - 4
    assert [w.rule for w in done.warnings] == ["message-bounded"]


def test_an_over_long_info_is_cut_to_the_bound() -> None:
    done = guarded({"connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
                    "info": "x" * 1000})
    assert done.payload["info"] == "x" * 40
    assert done.dropped == 960


def test_an_item_cut_mid_way_is_left_out_whole() -> None:
    done = guarded({"connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
                    "vendorErrorCode": "A" * 30 + "," + "B" * 30})
    assert done.payload["vendorErrorCode"] == "A" * 30


def test_a_notify_event_keeps_its_first_events() -> None:
    events = [{"eventId": i} for i in range(10)]
    done = guarded({"eventData": events, "seqNo": 0}, "NotifyEvent", "2.0.1")
    assert done.payload["eventData"] == events[:4]
    assert done.dropped == 6


def test_an_ordinary_message_is_passed_through_untouched() -> None:
    payload = {"connectorId": 1, "errorCode": "OtherError", "status": "Faulted",
               "vendorErrorCode": "F001,F002", "info": "12.1V,80C"}
    done = guarded(payload)
    assert done.payload is payload
    assert (done.warnings, done.dropped) == ((), 0)


def test_storable_text() -> None:
    assert storable('[2,"a\x00"]') == '[2,"a\ufffd"]'
    text = "plain"
    assert storable(text) is text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**64), max_value=2**64)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value, *(v for item in value.values() for v in _values(item))]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return [value]


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_whatever_passes_the_guard_is_storable(payload: dict[str, Any]) -> None:
    try:
        done = guarded(payload, "MeterValues")
    except RpcError as error:
        assert error.fault is Fault.PROPERTY
        return
    for value in _values(done.payload):
        assert not (isinstance(value, str) and "\x00" in value)
        assert not (isinstance(value, int) and not -(2**63) <= value < 2**63)


# ---- what one charger's bad frames may cost the log ------------------------------------------


def quota_path(per_hour: int, keep: int = 100) -> Any:
    from evfault.pipeline import MessagePath, PathConfig
    from evfault.tracking.tracker import Tracker, TrackerConfig

    ids = iter(range(10_000))
    return MessagePath(Tracker(TrackerConfig(), lambda: str(next(ids))),
                       PathConfig(bad_frames_per_hour=per_hour, bad_frame_keep=keep))


def test_bad_frames_are_logged_within_the_quota_and_answered_beyond_it() -> None:
    from datetime import UTC, datetime, timedelta

    path = quota_path(per_hour=3)
    start = datetime(2026, 11, 29, tzinfo=UTC)
    done = [path.incoming("CP-BAD", "1.6", "not json", start + timedelta(seconds=i))
            for i in range(5)]
    assert all(d.answer is not None and d.error is not None for d in done)  # all answered
    assert [len(d.batch.messages) for d in done] == [2, 2, 2, 0, 0]
    assert path.counters.unlogged_bad_frames == 2
    later = path.incoming("CP-BAD", "1.6", "not json", start + timedelta(hours=1, seconds=1))
    assert len(later.batch.messages) == 2  # a new hour, a new quota
    other = path.incoming("CP-OTHER", "1.6", "not json", start)
    assert len(other.batch.messages) == 2  # one charger's quota is its own


def test_a_huge_bad_frame_is_logged_cut_short() -> None:
    from datetime import UTC, datetime

    path = quota_path(per_hour=10, keep=100)
    done = path.incoming("CP-BAD", "1.6", "x" * 1_000_000, datetime(2026, 11, 29, tzinfo=UTC))
    logged = done.batch.messages[0].raw
    assert logged.startswith("x" * 100) and logged.endswith("[999900 more characters not kept]")
