"""Changes as JSON between nodes: what one node's tracker produced, rebuilt on another node.

Pure. `encode(change, origin)` → bytes; `decode(bytes)` → (change, origin). Fields are rebuilt
by their declared types (datetimes, enums), so a change read on node B equals the one made on
node A.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

import orjson

from evfault.tracking.model import (
    Change,
    ConnectivityChange,
    Incident,
    IncidentChange,
    StatusChange,
)

KINDS: dict[str, type[Any]] = {
    "incident": IncidentChange,
    "status": StatusChange,
    "connectivity": ConnectivityChange,
}
_NAMES = {cls: name for name, cls in KINDS.items()}


class WireError(ValueError):
    """A message on the bus that is not a change this version understands."""


def encode(change: Change, origin: str) -> bytes:
    """The change as JSON, with the node it happened on."""
    return orjson.dumps({"kind": _NAMES[type(change)], "origin": origin,
                         "change": dataclasses.asdict(change)})


def decode(data: bytes) -> tuple[Change, str]:
    try:
        message = orjson.loads(data)
        cls = KINDS[message["kind"]]
        change: Change = _build(cls, message["change"])
        return change, str(message["origin"])
    except Exception as exc:  # anything malformed, however it breaks the rebuild
        raise WireError(f"not a change: {exc.__class__.__name__}: {exc}") from None


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _build(cls: type[Any], values: dict[str, Any]) -> Any:
    hints = _hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{name: _value(hints[name], value) for name, value in values.items()
                  if name in known})


def _value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if get_origin(hint) in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        hint = options[0] if len(options) == 1 else hint
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is Incident:
        return _build(Incident, value)
    return value
