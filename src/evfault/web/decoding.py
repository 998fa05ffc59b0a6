"""POST /api/v1/decode: a frame, a payload, or a log of them → faults, clears and warnings."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from starlette.requests import Request

from evfault.conformance import Judge
from evfault.decode import Decoded, default_decoder
from evfault.decode.export import decoded_to_dict
from evfault.decode.logs import messages
from evfault.decode.packs import for_charger
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


def decode_messages(body: bytes, charger_vendor: str | None = None) -> list[Decoded]:
    """One Decoded per message, read as `evfault decode` reads a file (decode/logs.py) and judged
    by the one rule set: a frame, a payload, a JSON array of them, log lines, pretty-printed.

    `charger_vendor` (the charger's chargePointVendor) lets its maker's packs read its codes;
    without it, a BootNotification among the messages names the maker for those after it."""
    judge, catalog = Judge(), default_decoder().catalog
    found = islice(messages(body.decode("utf-8", "replace").splitlines()), MAX_MESSAGES)
    decoded: list[Decoded] = []
    vendor = charger_vendor
    for number, text in found:
        one, vendor = for_charger(judge.line(number, text).decoded, catalog, charger_vendor,
                                  vendor)
        decoded.append(one)
    return decoded


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
    vendor = request.query_params.get("charger_vendor") or None
    return merge(decode_messages(body, vendor))
