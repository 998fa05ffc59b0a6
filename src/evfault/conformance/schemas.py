"""The OCPP JSON schemas bundled with the `ocpp` package, compiled once with fastjsonschema.

The checker gives string lengths (CiString limits), date-time formats and unknown fields rules of
their own, with messages that say which field and by how much, so the compiled validators leave
those keywords out and `over_length` / `date_times` walk the same schema for them instead. Each rule
then judges one thing, and one broken field is one finding.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

Validator = Callable[[Any], Any]

V16, V201 = "1.6", "2.0.1"
_PACKAGES = {V16: "v16", V201: "v201"}  # folders of the ocpp package


class SchemaProblem(ValueError):
    """The payload does not match its schema; the text names the field."""


@dataclass(frozen=True, slots=True)
class Overlong:
    """A string longer than its schema allows."""

    path: str
    length: int
    limit: int


@dataclass(frozen=True, slots=True)
class Stamp:
    """A value found where the schema wants a date-time."""

    path: str
    value: object


@cache
def _schema_dir(version: str) -> Path:
    """The `ocpp` package's schema folder for `version`, found without importing ocpp.v16 or
    ocpp.v201: those import the package's whole ChargePoint machinery (jsonschema, asyncio),
    which cost `evfault decode` ~0.3 s of CPU at every start for two folder names."""
    spec = importlib.util.find_spec("ocpp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the ocpp package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / _PACKAGES[version] / "schemas"


def _file_name(version: str, action: str, response: bool) -> str:
    if response:
        return f"{action}Response.json"
    return f"{action}.json" if version == V16 else f"{action}Request.json"


@cache
def actions(version: str) -> frozenset[str]:
    """Every action the version defines (one request schema each)."""
    names = (p.name for p in _schema_dir(version).iterdir() if p.name.endswith(".json"))
    stems = (n.removesuffix(".json") for n in names if not n.endswith("Response.json"))
    return frozenset(s.removesuffix("Request") if version == V201 else s for s in stems)


@cache
def schema(version: str, action: str, response: bool = False) -> Mapping[str, Any] | None:
    """The schema as published (None: no such action in this version)."""
    if action not in actions(version):
        return None
    path = _schema_dir(version) / _file_name(version, action, response)
    try:
        # The 2.0.1 files start with a byte order mark.
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    except (FileNotFoundError, OSError):
        return None
    return loaded


@cache
def validator(version: str, action: str, response: bool = False) -> Validator | None:
    """A compiled validator without maxLength and format (those have rules of their own)."""
    published = schema(version, action, response)
    if published is None:
        return None
    trimmed = copy.deepcopy(dict(published))
    trimmed.pop("$id", None)  # 2.0.1's urn ids would make fastjsonschema resolve refs remotely
    _strip(trimmed)
    compiled: Validator = fastjsonschema.compile(trimmed)
    return compiled


def validate(version: str, action: str, payload: object, response: bool = False) -> None:
    """Raise SchemaProblem when the payload breaks its schema (lengths and formats aside)."""
    check = validator(version, action, response)
    if check is None:
        raise SchemaProblem(f"OCPP {version} defines no action {action!r}")
    try:
        check(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise SchemaProblem(_readable(exc.message)) from None


def required(version: str, action: str) -> frozenset[str]:
    """The request's required top-level fields."""
    published = schema(version, action)
    return frozenset(published.get("required", ())) if published else frozenset()


def version_of(action: str, payload: object) -> str | None:
    """Which version a CALL belongs to, told by its action and, where both versions define the
    action (StatusNotification, BootNotification, …), by which one's required fields it has."""
    in16, in201 = action in actions(V16), action in actions(V201)
    if in16 != in201:
        return V16 if in16 else V201
    if not in16:
        return None
    if isinstance(payload, dict) and _has_all(payload, V201, action):
        return V16 if _has_all(payload, V16, action) else V201
    return V16


Walked = list[tuple[str, Mapping[str, Any], object]]


def walk(version: str, action: str, payload: object, response: bool = False) -> Walked:
    """(path, schema node, value) for every value of the payload its schema describes.

    The three checks below each need this; a caller judging one message with all of them
    walks once and hands the result to each (conformance.subject.Subject.walk)."""
    published = schema(version, action, response)
    return [] if published is None else list(_walk(published, published, payload, ""))


def over_length(version: str, action: str, payload: object, response: bool = False,
                walked: Walked | None = None) -> list[Overlong]:
    """Every string in the payload longer than its schema's maxLength."""
    return [
        Overlong(path, len(value), node["maxLength"])
        for path, node, value in (walked if walked is not None
                                  else walk(version, action, payload, response))
        if isinstance(value, str) and isinstance(node.get("maxLength"), int)
        and len(value) > node["maxLength"]
    ]


def date_times(version: str, action: str, payload: object, response: bool = False,
               walked: Walked | None = None) -> list[Stamp]:
    """Every value the schema wants as a date-time, with where it sits."""
    return [
        Stamp(path, value)
        for path, node, value in (walked if walked is not None
                                  else walk(version, action, payload, response))
        if node.get("format") == "date-time"
    ]


def unknown_fields(version: str, action: str, payload: object, response: bool = False,
                   walked: Walked | None = None) -> list[str]:
    """Where the payload carries a field its schema does not define (`additionalProperties`
    false): real chargers add their own, and are heard anyway (a warning, not a failure)."""
    found = []
    for path, node, value in (walked if walked is not None
                              else walk(version, action, payload, response)):
        if isinstance(value, dict) and node.get("additionalProperties") is False:
            known = node.get("properties", {})
            found += [f"{path}.{key}" if path else str(key) for key in value if key not in known]
    return found


def _has_all(payload: Mapping[str, object], version: str, action: str) -> bool:
    return all(key in payload for key in required(version, action))


def _strip(node: object) -> None:
    if isinstance(node, dict):
        node.pop("format", None)
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]  # unknown fields: a rule of their own
        if node.get("type") == "string":
            node.pop("maxLength", None)
        for value in node.values():
            _strip(value)
    elif isinstance(node, list):
        for value in node:
            _strip(value)


def _walk(
    root: Mapping[str, Any], node: Mapping[str, Any], value: object, path: str
) -> Iterator[tuple[str, Mapping[str, Any], object]]:
    """(path, schema node, value) for every value in the payload that its schema describes."""
    node = _deref(root, node)
    yield path, node, value
    if isinstance(value, dict):
        for key, child in node.get("properties", {}).items():
            if key in value:
                yield from _walk(root, child, value[key], f"{path}.{key}" if path else key)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            yield from _walk(root, node["items"], item, f"{path}[{index}]")


def _deref(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, dict) else {}
    return target if isinstance(target, dict) else node


def _readable(message: str) -> str:
    """fastjsonschema says "data.status must be …"; people read "status must be …"."""
    if message.startswith("data."):
        return message[5:]
    if message.startswith("data "):
        return "the payload " + message[5:]
    return message
