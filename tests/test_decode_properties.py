"""Property-based: whatever a charger or a log file holds, the decoders return a Decoded and never
raise. The last-resort guard in the decoder turns a bug into a `decoder-internal` warning, so each
property also checks that the guard never fired."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evfault.decode import Decoded, Decoder, decode, decode_frame, decode_payload, decode_text
from evfault.decode.decoder import INTERNAL

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON as orjson produces it: ints within 64 bits, finite floats.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=60),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)
# Beyond JSON: what a Python caller could hand the entry points.
python_values = st.one_of(json_values, st.integers(), st.binary(max_size=40), st.tuples(scalars))
maybe_text = st.one_of(st.text(max_size=20), scalars, json_values)


def mostly(good: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """`good` four times in five, any JSON value otherwise. (A plain one_of would flatten into
    maybe_text's many branches and so pick `good` rarely.)"""
    return st.integers(min_value=0, max_value=4).flatmap(lambda n: maybe_text if n == 0 else good)


CODE_PIECES = ["F001", "f003", "CX006", "cx011", "A004", "F0FF", "XYZ", "", " ", ",", "0", "210"]
codes = st.lists(st.sampled_from(CODE_PIECES), max_size=4).map(",".join)
info_pieces = st.one_of(
    st.sampled_from(["1.11", "5.00", "", "nan", "1_0", "-3", "Error CX002 resolved", "x"]),
    st.text(max_size=8),
)
infos = st.lists(info_pieces, max_size=4).map(",".join)
TIMES = [
    "2022-06-10T14:51:17Z",
    "2023-09-06T00-08-09Z",
    "2024-05-01T10:00:00.5+02:00",
    "2024-05-01",
    "2024-05-01T10:00:00",
    "",
]
timestamps = mostly(st.one_of(st.sampled_from(TIMES), st.datetimes().map(lambda d: d.isoformat())))
VENDORS = ["com.evgo.mrec", "https://chargex.inl.gov/", "COM.EVGO.MREC", "com.example"]
ERROR_CODES = ["NoError", "OtherError", "UnderVoltage", "noerror", "Error"]

status_notifications = st.fixed_dictionaries(
    {},
    optional={
        "connectorId": mostly(st.integers(min_value=-5, max_value=2**40)),
        "errorCode": mostly(st.sampled_from(ERROR_CODES)),
        "status": mostly(st.sampled_from(["Faulted", "Available", "Occupied"])),
        "info": mostly(infos),
        "vendorId": mostly(st.sampled_from(VENDORS)),
        "vendorErrorCode": mostly(codes),
        "timestamp": timestamps,
        "connectorStatus": mostly(st.sampled_from(["Faulted", "Occupied"])),
        "evseId": mostly(st.integers(min_value=-2, max_value=4)),
    },
)

components = mostly(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["EVSE", "Connector", "ChargingStation"]),
            "evse": mostly(
                st.fixed_dictionaries({"id": mostly(st.integers(min_value=-2, max_value=4))})
            ),
        }
    )
)
variables = mostly(
    st.fixed_dictionaries({"name": mostly(st.sampled_from(["Problem", "AvailabilityState"]))})
)
EVENT_FIELDS = {
    "techCode": mostly(codes),
    "component": components,
    "variable": variables,
    "actualValue": mostly(st.sampled_from(["true", "false", "105", ""])),
    "techInfo": maybe_text,
    "cleared": mostly(st.booleans()),
    "timestamp": timestamps,
}
# Every field present (so deep combinations come up often), or any of them missing.
events = st.one_of(
    st.fixed_dictionaries(EVENT_FIELDS), st.fixed_dictionaries({}, optional=EVENT_FIELDS)
)
notify_events = st.fixed_dictionaries(
    {"eventData": mostly(st.lists(mostly(events), min_size=1, max_size=3))}
)
versions = st.one_of(
    st.none(), st.sampled_from(["1.6", "ocpp2.0.1", "2.1", "9"]), st.text(max_size=5)
)


def assert_decoded(result: object) -> None:
    assert isinstance(result, Decoded)
    assert INTERNAL not in [w.rule for w in result.warnings], result.warnings
    for warning in result.warnings:
        assert isinstance(warning.rule, str) and isinstance(warning.message, str)
    for report in result.reports:
        assert isinstance(report.connector_id, int) and report.connector_id >= 0


@SETTINGS
@given(value=python_values, version=versions)
def test_any_value_through_every_entry_point(value: object, version: str | None) -> None:
    assert_decoded(decode(value, version))
    assert_decoded(decode_frame(value, version))
    assert_decoded(decode_payload(None, value, version))
    assert_decoded(decode_payload("StatusNotification", value, version))
    assert_decoded(decode_payload("NotifyEvent", value, version))


@SETTINGS
@given(value=json_values)
def test_any_json_as_text(value: object) -> None:
    text = orjson.dumps(value)
    assert_decoded(decode_text(text))
    assert_decoded(decode_text(text.decode()))
    assert_decoded(decode_text("2024-05-01T10:00:00Z CP-1 <- " + text.decode()))


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text(text: str) -> None:
    assert_decoded(decode_text(text))
    assert_decoded(decode_payload(None, text))
    assert_decoded(decode_frame(text))


@SETTINGS
@given(data=st.binary(max_size=200))
def test_any_bytes(data: bytes) -> None:
    assert_decoded(decode_text(data))


@SETTINGS
@given(payload=status_notifications, version=versions, message_id=maybe_text)
def test_status_notification_shaped_payloads(
    payload: dict[str, object], version: str | None, message_id: object
) -> None:
    assert_decoded(decode_payload("StatusNotification", payload, version))
    assert_decoded(decode_payload(None, payload, version))
    frame = [2, message_id, "StatusNotification", payload]
    result = decode_frame(frame, version)
    assert_decoded(result)
    if isinstance(message_id, str):
        assert len(result.reports) == 1


@SETTINGS
@given(payload=status_notifications)
def test_text_and_parsed_forms_agree(payload: dict[str, object]) -> None:
    frame = [2, "1", "StatusNotification", payload]
    try:
        text = orjson.dumps(frame)
    except TypeError:
        return
    as_text = decode_text(text)
    assert as_text == decode_frame(frame)
    assert [f.key for f in as_text.faults] == [f.key for f in decode_frame(frame).faults]


@SETTINGS
@given(payload=status_notifications)
def test_a_fresh_decoder_agrees_with_a_warm_one(payload: dict[str, object]) -> None:
    """The memo must never change an answer."""
    warm = decode_payload("StatusNotification", payload)
    assert Decoder().decode_payload("StatusNotification", payload) == warm


@SETTINGS
@given(payload=notify_events, version=versions)
def test_notify_event_shaped_payloads(payload: dict[str, object], version: str | None) -> None:
    assert_decoded(decode_payload("NotifyEvent", payload, version))
    assert_decoded(decode_frame([2, "1", "NotifyEvent", payload], version))
