"""Changes as JSON between nodes: what node A's tracker made is what node B rebuilds."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.bus_wire import WireError, decode, encode
from evfault.decode.model import SetRule
from evfault.tracking.model import (
    ChangeKind,
    ClearedBy,
    ConnectivityChange,
    Incident,
    IncidentChange,
    StatusChange,
)

AT = datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=UTC)


def incident(**extra: object) -> Incident:
    return Incident(id="i1", charger_id="CP-1", connector_id=2, scheme="evgo-mrec", code="F001",
                    title="Proximity voltage too low", severity="critical", opened_at=AT,
                    opened_received_at=AT, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("change", [
    IncidentChange(ChangeKind.OPENED, incident(reading_value=1.11, reading_unit="VDC",
                                               info="1.11", set_rule=SetRule.REPLACE)),
    IncidentChange(ChangeKind.CLEARED, incident(cleared_at=AT, cleared_by=ClearedBy.REBOOT,
                                                cleared_received_at=AT, reports=3)),
    StatusChange("CP-1", 1, "Faulted", AT, "Charging", time_flagged=True),
    ConnectivityChange("CP-2", False, AT, "silent"),
])
def test_every_kind_of_change_crosses_unchanged(change: object) -> None:
    rebuilt, origin = decode(encode(change, "node-a"))  # type: ignore[arg-type]
    assert (rebuilt, origin) == (change, "node-a")


JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=10)


@given(st.binary(max_size=200) | st.builds(
    lambda kind, change: orjson.dumps({"kind": kind, "origin": "b", "change": change}),
    st.sampled_from(["incident", "status", "connectivity", "other"]), JSON))
def test_anything_else_on_the_subject_is_a_wire_error_and_nothing_worse(data: bytes) -> None:
    with contextlib.suppress(WireError):  # a node ignores it with a log line
        decode(data)
