"""The WebSocket frame reader: what a client sends becomes messages, or the right close code."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Close as WsClose
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from evfault.net.frames import (
    BINARY,
    CLOSE,
    INVALID_DATA,
    PING,
    PROTOCOL_ERROR,
    TEXT,
    TOO_BIG,
    FrameReader,
    ProtocolError,
    close_payload,
    parse_close,
    server_frame,
    text_frame,
)


def client_frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True) -> bytes:
    """A frame as a client writes it, built by the `websockets` library (an independent codec)."""
    return Frame(Opcode(opcode), payload, fin=fin).serialize(mask=masked)


def test_a_masked_text_frame_is_one_message() -> None:
    reader = FrameReader(1 << 20)
    [message] = reader.feed(client_frame(TEXT, b'[2,"1","Heartbeat",{}]'))
    assert (message.opcode, message.data) == (TEXT, b'[2,"1","Heartbeat",{}]')


def test_frames_split_anywhere_still_arrive_whole() -> None:
    data = b"".join(client_frame(TEXT, f"message {i}".encode() * 30) for i in range(5))
    reader = FrameReader(1 << 20)
    got = [m.data for i in range(len(data)) for m in reader.feed(data[i:i + 1])]
    assert got == [f"message {i}".encode() * 30 for i in range(5)]


def test_fragments_are_joined_and_control_frames_pass_between_them() -> None:
    reader = FrameReader(1 << 20)
    data = (client_frame(TEXT, b"[2,", fin=False) + client_frame(PING, b"p")
            + client_frame(0, b'"x",', fin=False) + client_frame(0, b'"Heartbeat",{}]'))
    messages = reader.feed(data)
    assert [(m.opcode, m.data) for m in messages] == [(PING, b"p"),
                                                      (TEXT, b'[2,"x","Heartbeat",{}]')]


def test_unmasked_client_frame_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError) as caught:
        FrameReader(100).feed(client_frame(TEXT, b"hi", masked=False))
    assert caught.value.code == PROTOCOL_ERROR


def test_reserved_bits_without_extension_are_a_protocol_error() -> None:
    with pytest.raises(ProtocolError) as caught:
        data = client_frame(TEXT, b"hi")
        FrameReader(100).feed(bytes([data[0] | 0x40]) + data[1:])
    assert caught.value.code == PROTOCOL_ERROR


def test_too_big_is_refused_before_it_is_buffered() -> None:
    reader = FrameReader(1000)
    header = struct.pack("!BBH", 0x81, 0x80 | 126, 5000) + os.urandom(4)
    with pytest.raises(ProtocolError) as caught:
        reader.feed(header)  # only the header arrived: refused at once
    assert caught.value.code == TOO_BIG


def test_fragments_adding_up_past_the_limit_are_too_big() -> None:
    reader = FrameReader(1000)
    reader.feed(client_frame(TEXT, b"a" * 600, fin=False))
    with pytest.raises(ProtocolError) as caught:
        reader.feed(client_frame(0, b"a" * 600))
    assert caught.value.code == TOO_BIG


def test_control_frame_over_125_bytes_is_a_protocol_error() -> None:
    data = struct.pack("!BB", 0x89, 0x80 | 126) + struct.pack("!H", 200) + os.urandom(4) \
        + b"x" * 200
    with pytest.raises(ProtocolError):
        FrameReader(1 << 20).feed(data)


def test_continuation_without_a_start_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        FrameReader(100).feed(client_frame(0, b"x"))


def test_close_codes_and_reasons() -> None:
    assert parse_close(close_payload(1000, "bye")) == (1000, "bye")
    assert parse_close(b"") == (1005, "")
    with pytest.raises(ProtocolError):
        parse_close(b"\x03")
    with pytest.raises(ProtocolError):
        parse_close(struct.pack("!H", 1005))  # reserved: never on the wire
    with pytest.raises(ProtocolError) as caught:
        parse_close(struct.pack("!H", 1000) + b"\xff")
    assert caught.value.code == INVALID_DATA
    assert len(close_payload(1000, "é" * 200)) <= 125  # a reason never overflows the frame


def _parse_server_frame(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("incomplete frame")


@given(st.text(max_size=70_000))
def test_server_text_frames_read_back_in_an_independent_codec(text: str) -> None:
    frame = _parse_server_frame(text_frame(text))
    assert frame.opcode is Opcode.TEXT and frame.fin and frame.data.decode() == text


@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=50))
def test_any_payload_split_anywhere_round_trips(payload: bytes, cut: int) -> None:
    data = client_frame(BINARY, payload) + client_frame(CLOSE, WsClose(1000, "").serialize())
    reader = FrameReader(1 << 20)
    got = []
    for i in range(0, len(data), cut):
        got += reader.feed(data[i:i + cut])
    assert [(m.opcode, m.data) for m in got] == [(BINARY, payload),
                                                 (CLOSE, struct.pack("!H", 1000))]
    assert reader.buffered == 0


@given(st.binary(max_size=200))
def test_garbage_never_crashes_the_reader(data: bytes) -> None:
    reader = FrameReader(1000)
    try:
        reader.feed(data)
    except ProtocolError as error:
        assert error.code in (PROTOCOL_ERROR, TOO_BIG)


def test_server_frame_is_never_masked() -> None:
    assert not server_frame(PING, b"x")[1] & 0x80
