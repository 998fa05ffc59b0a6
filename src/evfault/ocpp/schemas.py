"""Request validation against the OCPP JSON schemas that ship with the `ocpp` package.

The `ocpp` package validates with `jsonschema`, which costs tens of microseconds per message;
on the hot path (every StatusNotification) we compile the same schema files once with
fastjsonschema instead (see benchmarks/server_load.py for the measured difference).

Validation is lenient where real chargers are commonly off-spec and a monitoring system must
still hear them: date-time formats (checked by the decoders, with a conformance warning), the
StatusNotification errorCode/status enums and the lengths of its free-text fields, and the
lengths of BootNotification's descriptive strings (serial numbers longer than 25 characters
are common), fields a charger adds of its own (unknown properties), and a 2.0.1 NotifyEvent's
`cleared` sent as the string "true". Each of these is heard, stored and flagged by the
conformance rules (`unknown-field`, `ocpp-schema`, …). Everything else — missing fields, wrong
types — is a CALLERROR, as the specification requires.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema

from evfault.conformance.schemas import schema as published_schema
from evfault.ocpp.rpc import Fault, RpcError

Validator = Callable[[Any], Any]

# (version, action) → property names whose constraints are relaxed, and which ones.
_RELAXED: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("1.6", "StatusNotification"): {
        "errorCode": ("enum",), "status": ("enum",),
        "info": ("maxLength",), "vendorErrorCode": ("maxLength",), "vendorId": ("maxLength",),
    },
    ("2.0.1", "StatusNotification"): {"connectorStatus": ("enum",)},
    ("1.6", "BootNotification"): {
        name: ("maxLength",) for name in (
            "chargePointSerialNumber", "chargeBoxSerialNumber", "firmwareVersion", "iccid",
            "imsi", "meterSerialNumber", "meterType", "chargePointModel", "chargePointVendor",
        )
    },
}

_RULE_FAULTS = {
    "required": Fault.OCCURRENCE,
    "type": Fault.TYPE,
    "additionalProperties": Fault.FORMAT,
    "enum": Fault.PROPERTY,
    "maxLength": Fault.PROPERTY,
    "minLength": Fault.PROPERTY,
    "minimum": Fault.PROPERTY,
    "maximum": Fault.PROPERTY,
    "pattern": Fault.PROPERTY,
    "multipleOf": Fault.PROPERTY,
    "minItems": Fault.OCCURRENCE,
    "maxItems": Fault.OCCURRENCE,
}


# (version, action) → (definition, property) whose type is relaxed: firmware that writes a
# boolean as a string ("cleared": "true") still means it, and the decoder reads what it means.
_RELAXED_TYPES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("2.0.1", "NotifyEvent"): (("EventDataType", "cleared"),),
}


def _strip_formats(node: Any) -> None:
    """Date-time formats (the decoders judge them) and `additionalProperties: false` (a field
    of the charger's own is read past and flagged, never a reason to lose its fault)."""
    if isinstance(node, dict):
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        if node.get("type") == "string":
            node.pop("format", None)
        for value in node.values():
            _strip_formats(value)
    elif isinstance(node, list):
        for value in node:
            _strip_formats(value)


def _relax(schema: dict[str, Any], version: str, action: str) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    schema.pop("$schema", None)  # fastjsonschema picks its draft from this; we pass draft 4/6
    schema.pop("$id", None)
    _strip_formats(schema)
    properties = schema.get("properties", {})
    for name, keywords in _RELAXED.get((version, action), {}).items():
        target = _deref(schema, properties.get(name, {}))
        for keyword in keywords:
            target.pop(keyword, None)
    definitions = schema.get("definitions", {})
    for definition, name in _RELAXED_TYPES.get((version, action), ()):
        definitions.get(definition, {}).get("properties", {}).get(name, {}).pop("type", None)
    return schema


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The node a property's `$ref` points at: 2.0.1 keeps its enums in `definitions`
    (connectorStatus → ConnectorStatusEnumType), so relaxing the property means relaxing that."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/definitions/"):
        return node
    found = schema.get("definitions", {}).get(ref.removeprefix("#/definitions/"))
    return found if isinstance(found, dict) else node


@cache
def request_validator(version: str, action: str) -> Validator | None:
    """A compiled validator for a charger's request, or None if the action is unknown."""
    raw = published_schema(version, action)
    if raw is None:
        return None
    return fastjsonschema.compile(_relax(dict(raw), version, action))


def validate_request(version: str, action: str, payload: dict[str, Any], message_id: str) -> None:
    """Raise RpcError (the CALLERROR to send) when `payload` violates the action's schema."""
    validator = request_validator(version, action)
    if validator is None:
        raise RpcError(Fault.NOT_IMPLEMENTED, f"unknown action {action!r}", message_id)
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        fault = _RULE_FAULTS.get(exc.rule or "", Fault.FORMAT)
        raise RpcError(fault, exc.message, message_id, {"rule": exc.rule}) from None
