"""Charger timestamps: parsed fast, and every deviation from UTC ISO 8601 reported, not raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evfault.decode.model import DecodeWarning
from evfault.decode.rules import Rule, show, warn

_ZERO = timedelta(0)
_NO_WARNINGS: tuple[DecodeWarning, ...] = ()


def parse_timestamp(
    raw: object, required_by: str | None = None
) -> tuple[datetime | None, str | None, tuple[DecodeWarning, ...]]:
    """(parsed time, raw text, warnings) for a timestamp field's value; `required_by` names the
    standard that makes it mandatory, if one does.

    `datetime.fromisoformat` (C, Python 3.11+) reads `Z`, offsets and fractional seconds; it is
    several times faster than a regex. A string it cannot read stays as raw text: the ChargeX
    MREC examples write `2023-09-06T00-08-09Z` (hyphens in the time), which is not a date-time.
    """
    if type(raw) is str:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            return None, raw, (_format_warning(raw),)
        if parsed.tzinfo is UTC and "T" in raw:  # "…Z": the usual case, nothing to say
            return parsed, raw, _NO_WARNINGS
        return _checked(parsed, raw)
    if raw is None:
        if required_by:
            return None, None, (_missing(required_by),)
        return None, None, _NO_WARNINGS
    return None, None, (warn(Rule.FIELD_TYPE, f"timestamp {show(raw)} is not a string."),)


def _checked(
    parsed: datetime, raw: str
) -> tuple[datetime | None, str | None, tuple[DecodeWarning, ...]]:
    """A parsed timestamp that is not plain UTC with a time, or was written unusually."""
    if not _has_time(raw):
        return None, raw, (_format_warning(raw),)
    offset = parsed.utcoffset()
    if offset is None:
        # Without a zone the instant is unknown: chargers send local time this way, and reading
        # it as UTC made a repair hours long. The time of receipt dates the event instead.
        return None, raw, (_not_utc(raw, "has no UTC offset; the time of receipt is used"),)
    if offset != _ZERO:
        try:
            parsed.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+14:00: no such instant in UTC
            return None, raw, (_format_warning(raw),)
        return parsed, raw, (_not_utc(raw, "is not in UTC"),)
    return parsed, raw, _NO_WARNINGS


def _missing(required_by: str) -> DecodeWarning:
    return warn(
        Rule.TIMESTAMP_MISSING, f"the message has no timestamp; {required_by} requires one."
    )


def _has_time(raw: str) -> bool:
    # fromisoformat also accepts a bare date ("2022-06-10"); an OCPP dateTime needs a time.
    return "T" in raw or "t" in raw or " " in raw.strip()


def _format_warning(raw: str) -> DecodeWarning:
    return warn(
        Rule.TIMESTAMP_FORMAT,
        f"timestamp {show(raw)} is not an ISO 8601 date-time (e.g. 2022-06-10T14:51:17Z); "
        "it was kept as text.",
    )


def _not_utc(raw: str, what: str) -> DecodeWarning:
    return warn(Rule.TIMESTAMP_NOT_UTC, f"timestamp {show(raw)} {what}; MREC requires UTC.")
