"""Reading single payload fields whose JSON type may be wrong: reported, never raised."""

from __future__ import annotations

from evfault.decode.model import DecodeWarning
from evfault.decode.rules import Rule, show, warn


def text_field(value: object, name: str, warnings: list[DecodeWarning]) -> str | None:
    """A string field as a string. Loose firmware that writes 210 for "210" keeps its code (as
    text); any other type is dropped. Both are reported."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e18:
        warnings.append(warn(Rule.FIELD_TYPE, f"{name} {show(value)} is a number, not a string."))
        return str(value)
    warnings.append(warn(Rule.FIELD_TYPE, f"{name} {show(value)} is not a string; ignored."))
    return None


def connector_id(value: object, name: str, warnings: list[DecodeWarning]) -> int:
    """A non-negative integer id. Anything else is reported and read as 0, the whole charger,
    so the fault is still seen rather than pinned on a connector that may not exist."""
    if type(value) is int and value >= 0:
        return value
    if value is None:
        warnings.append(warn(Rule.FIELD_MISSING, f"{name} is missing; read as 0 (whole charger)."))
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        warnings.append(warn(Rule.FIELD_TYPE, f"{name} {show(value)} is a string, not an integer."))
        return int(value)
    warnings.append(
        warn(Rule.CONNECTOR_ID, f"{name} {show(value)} is not a non-negative integer; read as 0.")
    )
    return 0
