"""POST /api/v1/decode: a frame, a payload, or a log of them → faults, clears and warnings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request

from evfault.decode import Decoded, decode, decode_text
from evfault.decode.export import decoded_to_dict
from evfault.web.http import ApiError
from evfault.web.shapes import Json

MAX_BODY = 256 * 1024  # a long log excerpt fits; a whole log file belongs to `evfault analyze`
MAX_MESSAGES = 1000


async def read_body(request: Request) -> bytes:
    """The body, refused early when it is larger than a decode request can reasonably be."""
    too_large = ApiError(413, f"The body is larger than {MAX_BODY // 1024} KiB; send less at once.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise too_large
    return bytes(body)


def _is_frame_list(value: object) -> bool:
    """A JSON array of frames (a log as JSON), as opposed to one frame."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, list) for v in value)


def decode_messages(body: bytes) -> list[Decoded]:
    """One Decoded per message: a JSON frame, payload or list of frames, else one per line."""
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        lines = [line for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
        return [decode_text(line) for line in lines[:MAX_MESSAGES]]
    if _is_frame_list(value):
        return [decode(frame) for frame in value[:MAX_MESSAGES]]
    return [decode(value)]


def merge(results: Iterable[Decoded]) -> Json:
    """Faults, clears and warnings of every message together, then each message on its own."""
    messages = [decoded_to_dict(d) for d in results]
    return {
        "faults": [f for m in messages for f in m["faults"]],
        "cleared": [f for m in messages for f in m["cleared"]],
        "warnings": [w for m in messages for w in m["warnings"]],
        "messages": messages,
    }


async def decode_body(request: Request) -> Json:
    body = await read_body(request)
    if not body.strip():
        raise ApiError(
            400,
            "The body is empty; send an OCPP-J frame such as "
            '[2,"1","StatusNotification",{...}], a payload, or log lines.',
        )
    return merge(decode_messages(body))
