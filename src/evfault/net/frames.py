"""RFC 6455 frames of a server: read what a client sends, build what the server sends.

Pure: bytes in, frames out, no I/O. The hot path of every charger message runs through
`FrameReader.feed`, so it does the least that is correct: one header decode per frame, the
payload unmasked by websockets' C `apply_mask`, and only the server's side of the protocol
(client frames must be masked, server frames never are). Measured against websockets' own
sans-I/O `ServerProtocol` in benchmarks/ws_codec.py.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the C extension ships with websockets' wheels
    from websockets.utils import apply_mask

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONTROL = frozenset({CLOSE, PING, PONG})
DATA = frozenset({CONTINUATION, TEXT, BINARY})

# Close codes (RFC 6455 §7.4.1).
NORMAL = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007
POLICY_VIOLATION = 1008
TOO_BIG = 1009
INTERNAL_ERROR = 1011
NO_STATUS = 1005  # received a close frame without a code; never sent


class ProtocolError(Exception):
    """The peer broke RFC 6455; the connection is closed with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Message(NamedTuple):
    """A complete message (text or binary) or a control frame, as the reader hands it on.

    A named tuple, not a frozen dataclass: one is made per charger message, and a frozen
    dataclass costs about a microsecond more to build.
    """

    opcode: int
    data: bytes


def _header(opcode: int, length: int) -> bytes:
    if length < 126:
        return bytes((0x80 | opcode, length))
    if length < 1 << 16:
        return struct.pack("!BBH", 0x80 | opcode, 126, length)
    return struct.pack("!BBQ", 0x80 | opcode, 127, length)


def server_frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame (a server never masks, §5.1)."""
    return _header(opcode, len(payload)) + payload


def text_frame(text: str) -> bytes:
    return server_frame(TEXT, text.encode())


def close_payload(code: int, reason: str) -> bytes:
    """Code and reason of a close frame; the reason is cut to fit a control frame (125 bytes)."""
    raw = reason.encode()[:123]
    while raw:
        try:
            raw.decode()
            break
        except UnicodeDecodeError:  # never cut a character in half
            raw = raw[:-1]
    return struct.pack("!H", code) + raw


def parse_close(payload: bytes) -> tuple[int, str]:
    """Code and reason of a received close frame (§5.5.1, §7.4)."""
    if not payload:
        return NO_STATUS, ""
    if len(payload) == 1:
        raise ProtocolError(PROTOCOL_ERROR, "a close frame with a one-byte payload")
    code = struct.unpack_from("!H", payload)[0]
    if not _valid_close_code(code):
        raise ProtocolError(PROTOCOL_ERROR, f"close code {code} is not allowed on the wire")
    try:
        return code, payload[2:].decode()
    except UnicodeDecodeError:
        raise ProtocolError(INVALID_DATA, "the close reason is not UTF-8") from None


def _valid_close_code(code: int) -> bool:
    return (1000 <= code <= 1011 and code not in (1004, 1005, 1006)) or 3000 <= code <= 4999


class FrameReader:
    """Turns the bytes a client sends into messages, enforcing the rules of RFC 6455."""

    __slots__ = ("_buffer", "_fragments", "_fragments_size", "_opcode", "max_size")

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = b""
        self._fragments: list[bytes] | None = None  # a message in pieces (§5.4)
        self._fragments_size = 0
        self._opcode = 0

    def feed(self, data: bytes) -> list[Message]:
        """Every message completed by `data`; raises ProtocolError when the client broke a rule."""
        buffer = self._buffer + data if self._buffer else data
        out: list[Message] = []
        pos, end = 0, len(buffer)
        while end - pos >= 2:
            first, second = buffer[pos], buffer[pos + 1]
            if first & 0x70:
                raise ProtocolError(PROTOCOL_ERROR, "reserved bits set without an extension")
            if not second & 0x80:
                raise ProtocolError(PROTOCOL_ERROR, "a client frame was not masked")
            length, start = second & 0x7F, pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length, start = struct.unpack_from("!H", buffer, start)[0], start + 2
            elif length == 127:
                if end - pos < 10:
                    break
                length, start = struct.unpack_from("!Q", buffer, start)[0], start + 8
            opcode = first & 0x0F
            if length > self.max_size or (opcode in DATA and
                                          self._fragments_size + length > self.max_size):
                raise ProtocolError(TOO_BIG, f"a message over {self.max_size} bytes")
            stop = start + 4 + length
            if stop > end:
                break
            payload = apply_mask(buffer[start + 4:stop], buffer[start:start + 4])
            pos = stop
            message = self._frame(first & 0x80, opcode, payload)
            if message is not None:
                out.append(message)
        self._buffer = buffer[pos:] if pos < end else b""
        return out

    def _frame(self, fin: int, opcode: int, payload: bytes) -> Message | None:
        if opcode in CONTROL:
            if not fin or len(payload) > 125:
                raise ProtocolError(PROTOCOL_ERROR, "a fragmented or over-long control frame")
            return Message(opcode, payload)
        if opcode == CONTINUATION:
            return self._continue(fin, payload)
        if opcode not in DATA:
            raise ProtocolError(PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if self._fragments is not None:
            raise ProtocolError(PROTOCOL_ERROR, "a new message inside a fragmented one")
        if fin:
            return Message(opcode, payload)
        self._opcode, self._fragments, self._fragments_size = opcode, [payload], len(payload)
        return None

    def _continue(self, fin: int, payload: bytes) -> Message | None:
        if self._fragments is None:
            raise ProtocolError(PROTOCOL_ERROR, "a continuation frame with nothing to continue")
        self._fragments.append(payload)
        self._fragments_size += len(payload)
        if not fin:
            return None
        message = Message(self._opcode, b"".join(self._fragments))
        self._fragments, self._fragments_size = None, 0
        return message

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame or message."""
        return len(self._buffer) + self._fragments_size
