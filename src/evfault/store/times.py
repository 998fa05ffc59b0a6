"""Instants as the store keeps them: UTC, and on SQLite as text that sorts in time order."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already (OCPP times are)."""
    zone = value.tzinfo
    if zone is UTC:  # nearly always: skip the copy astimezone would make
        return value
    if zone is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Fixed-width ISO 8601 text, so that SQLite's text comparison orders instants correctly."""
    return as_utc(value).isoformat(timespec="microseconds")


def storable(text: str) -> str:
    """Text every backend can hold: NUL (refused by PostgreSQL) becomes U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
