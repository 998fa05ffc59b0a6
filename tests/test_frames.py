"""The one OCPP-J frame parser: what it reads, what it refuses, and that the server, the decoder
and the conformance checker all read a frame through it the same way."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evfault.conformance import check_text
from evfault.decode import decode_frame
from evfault.decode.frames import CALL, CALLERROR, Frame, FrameProblem, Problem, parse_value
from evfault.ocpp.rpc import Fault, RpcError, call_error, parse_frame


def test_a_call_a_result_and_an_error() -> None:
    assert parse_value([2, "1", "Heartbeat", {}]) == Frame(CALL, "1", "Heartbeat", {})
    assert parse_value([3, "1", {"currentTime": "x"}]).payload == {"currentTime": "x"}
    error = parse_value([4, "1", "NotImplemented", "no", {}])
    assert (error.kind, error.error_code, error.deviations) == (CALLERROR, "NotImplemented", ())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": 1}, Problem.NOT_A_FRAME),
        ([], Problem.NOT_A_FRAME),
        ([2, 17, "Heartbeat", {}], Problem.NOT_A_FRAME),
        ([2, "x" * 37, "Heartbeat", {}], Problem.NOT_A_FRAME),
        ([6, "1", {}], Problem.UNKNOWN_TYPE),
        ([True, "1", "Heartbeat", {}], Problem.UNKNOWN_TYPE),
        ([2, "1", "Heartbeat"], Problem.BAD_CALL),
        ([2, "1", "", {}], Problem.BAD_CALL),
        ([2, "1", "Heartbeat", []], Problem.BAD_CALL),
        ([3, "1"], Problem.NOT_A_FRAME),
    ],
)
def test_what_is_not_a_frame(value: object, problem: Problem) -> None:
    with pytest.raises(FrameProblem) as caught:
        parse_value(value)
    assert caught.value.problem is problem and caught.value.description


def test_a_callerror_without_details_is_read_with_a_deviation() -> None:
    frame = parse_value([4, "1", "GenericError", "oops"])
    assert frame.payload is None and frame.deviations


@pytest.mark.parametrize(("version", "wire"), [("2.0.1", "MessageTypeNotSupported"),
                                               ("1.6", "FormationViolation")])
def test_the_server_answers_an_unknown_message_type(version: str, wire: str) -> None:
    with pytest.raises(RpcError) as caught:
        parse_frame('[7,"abc",{}]')
    assert caught.value.fault is Fault.MESSAGE_TYPE and caught.value.message_id == "abc"
    assert f'[4,"abc","{wire}"' in call_error(caught.value, version)


FRAMEISH = st.lists(
    st.one_of(st.integers(-1, 8), st.text(max_size=40), st.none(), st.booleans(),
              st.dictionaries(st.text(max_size=5), st.integers(-9, 9), max_size=2)),
    max_size=6,
)


@given(FRAMEISH)
def test_server_decoder_and_checker_agree_on_what_is_a_frame(value: list[object]) -> None:
    """Whatever the array, the three readers take the one parser's word for it."""
    try:
        parse_value(value)
        readable = True
    except FrameProblem:
        readable = False
    try:
        parse_frame(orjson.dumps(value))
        server = True
    except RpcError:
        server = False
    assert server == readable
    decoded = decode_frame(value)
    assert ("frame-shape" not in [w.rule for w in decoded.warnings]) == (
        readable and not parse_value(value).deviations)
    report = check_text(orjson.dumps(value).decode())
    frame_failed = any(f.rule == "frame" and f.result.value == "fail" for f in report.findings)
    assert frame_failed == (not readable or bool(parse_value(value).deviations))
