"""What one charger message may carry before anything is tracked. Pure.

The tracker must only ever hold what the database can store, and one message must never cost
the server more than a bounded amount of work. So before a payload reaches a handler:

- an integer the database cannot hold (beyond a signed 64-bit value, e.g. `connectorId` 2^63,
  which SQLite refuses) is a CALLERROR PropertyConstraintViolation: nothing is tracked;
- a NUL character (PostgreSQL refuses it in text) is replaced by U+FFFD and flagged;
- a StatusNotification's `vendorErrorCode` and `info` keep their first `max_codes` items and
  `max_text` characters, a NotifyEvent its first `max_codes` events; the excess is flagged and
  counted, never stored or tracked.

The raw frame is still logged as it came (with NULs made storable, see store/times.py), so
the history shows exactly what the charger sent and what it was answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evfault.decode.model import DecodeWarning
from evfault.ocpp.rpc import Fault, RpcError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NUL = "\x00"
REPLACEMENT = "\ufffd"

RULE_NUL = "nul-character"
RULE_BOUNDED = "message-bounded"

# A JSON integer of 19 digits or more may not fit in 64 bits; shorter ones always do. The raw
# text is searched first so the common message is never walked.
_LONG_NUMBER = re.compile(r"\d{19}")
_ESCAPED_NUL = "\\u0000"


@dataclass(frozen=True, slots=True)
class Bounds:
    """How much one message may carry (the `max_codes_per_message` and `max_info_length`
    settings)."""

    max_codes: int = 32  # codes in one vendorErrorCode, events in one NotifyEvent
    max_text: int = 500  # characters of one free-text field (info, vendorErrorCode)


@dataclass(frozen=True, slots=True)
class Guarded:
    """A payload made safe to track, what was flagged, and how many items were cut off."""

    payload: dict[str, Any]
    warnings: tuple[DecodeWarning, ...] = ()
    dropped: int = 0


def guard(version: str, action: str, payload: dict[str, Any], message_id: str, raw: str,
          bounds: Bounds) -> Guarded:
    """`payload` checked and bounded; raises RpcError for a value no database can hold."""
    warnings: list[DecodeWarning] = []
    if _ESCAPED_NUL in raw or NUL in raw or _LONG_NUMBER.search(raw):
        payload = _walk(payload, action, message_id, warnings)
    bound = _BOUNDED.get((version, action))
    dropped = 0
    if bound is not None:
        payload, dropped = bound(payload, bounds, warnings)
    return Guarded(payload, tuple(warnings), dropped)


# ---- values the database cannot hold --------------------------------------------------------


def _walk(value: Any, path: str, message_id: str, warnings: list[DecodeWarning]) -> Any:
    if isinstance(value, str):
        if NUL in value:
            _warn_once(warnings, RULE_NUL, f"{path} holds a NUL character; it was replaced "
                       "by U+FFFD.")
            return value.replace(NUL, REPLACEMENT)
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise RpcError(Fault.PROPERTY, f"{path} {value} is out of range (at most 2^63-1)",
                           message_id)
        return value
    if isinstance(value, dict):
        return {_walk(k, path, message_id, warnings): _walk(v, f"{path}.{k}", message_id,
                                                            warnings)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, f"{path}[{i}]", message_id, warnings) for i, v in enumerate(value)]
    return value


def _warn_once(warnings: list[DecodeWarning], rule: str, message: str) -> None:
    if all(w.rule != rule for w in warnings):
        warnings.append(DecodeWarning(rule, message))


# ---- bounded amounts --------------------------------------------------------------------------


def _status_notification_16(payload: dict[str, Any], bounds: Bounds,
                            warnings: list[DecodeWarning]) -> tuple[dict[str, Any], int]:
    dropped = 0
    changed = dict(payload)
    for name in ("vendorErrorCode", "info"):
        value = payload.get(name)
        if not isinstance(value, str):
            continue
        kept, cut = _first_items(value, bounds)
        if cut:
            dropped += cut
            changed[name] = kept
            warnings.append(DecodeWarning(
                RULE_BOUNDED, f"{name} carried more than {bounds.max_codes} items or "
                f"{bounds.max_text} characters; only the first were kept."))
    return (changed, dropped) if dropped else (payload, 0)


def _first_items(value: str, bounds: Bounds) -> tuple[str, int]:
    """The first `max_codes` comma-separated items within `max_text` characters; and how many
    items (or, for one over-long item, characters) were left out."""
    if len(value) <= bounds.max_text and value.count(",") < bounds.max_codes:
        return value, 0
    items = value[: bounds.max_text + 1].split(",")
    total = value.count(",") + 1
    kept = items[: bounds.max_codes]
    if len(",".join(kept)) > bounds.max_text:
        if len(kept) > 1:
            kept = kept[:-1]  # the last item was cut off mid-way: it is left out whole
        else:
            return kept[0][: bounds.max_text], len(value) - bounds.max_text
    return ",".join(kept), max(1, total - len(kept))


def _notify_event(payload: dict[str, Any], bounds: Bounds,
                  warnings: list[DecodeWarning]) -> tuple[dict[str, Any], int]:
    events = payload.get("eventData")
    if not isinstance(events, list) or len(events) <= bounds.max_codes:
        return payload, 0
    warnings.append(DecodeWarning(
        RULE_BOUNDED, f"eventData carried {len(events)} events; only the first "
        f"{bounds.max_codes} were kept."))
    return {**payload, "eventData": events[: bounds.max_codes]}, len(events) - bounds.max_codes


_BOUNDED = {
    ("1.6", "StatusNotification"): _status_notification_16,
    ("2.0.1", "NotifyEvent"): _notify_event,
}
