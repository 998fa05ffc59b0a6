"""Query-string values checked and converted, each failure one sentence for the person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from evfault.catalog.langs import negotiate, normalize_tag, parse_accept_language
from evfault.catalog.model import DEFAULT_LANG, Severity
from evfault.web.http import ApiError

SEVERITIES = tuple(s.value for s in Severity)
# Times a query may name: a report's window reaches a year around them, which must stay within
# what datetime and the databases can hold (year 1 with +14:00 is before the year 1 in UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
STATES = ("active", "cleared", "all")


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a list to return."""

    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class ErrorFilter:
    """The dashboard's filters; empty fields match everything."""

    charger: str | None = None
    code: str | None = None
    severity: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"charger": self.charger, "code": self.code, "severity": self.severity}


def text(params: Mapping[str, str], name: str) -> str | None:
    """A query value with blanks treated as absent (an empty form field means 'any')."""
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = text(params, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number, not {raw!r}.") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}, not {value}.")
    return value


def page(params: Mapping[str, str], default_limit: int, max_limit: int) -> Page:
    return Page(
        limit=integer(params, "limit", default_limit, 1, max_limit),
        offset=integer(params, "offset", 0, 0, 10**9),
    )


def points(params: Mapping[str, str]) -> int:
    """Where the dashboard's page of charging points starts."""
    return integer(params, "points", 0, 0, 10**9)


def timestamp(params: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 time or date, in UTC; one without a zone is taken as UTC."""
    raw = text(params, name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)  # also takes a bare date and a trailing Z
    except ValueError:
        raise ApiError(
            400, f"{name} must be an ISO 8601 time such as 2024-05-01T12:00:00Z, not {raw!r}."
        ) from None
    out_of_range = ApiError(400, f"{name} must be a time from 1970 to 8999, not {raw!r}.")
    try:
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first representable time
        raise out_of_range from None
    if not EARLIEST <= parsed < LATEST:
        raise out_of_range
    return parsed


def choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = text(params, name)
    if raw is None:
        return None
    value = raw.lower()
    if value not in allowed:
        raise ApiError(400, f"{name} must be one of {', '.join(allowed)}, not {raw!r}.")
    return value


def severity(params: Mapping[str, str]) -> str | None:
    return choice(params, "severity", SEVERITIES)


def state(params: Mapping[str, str]) -> str | None:
    """'active', 'cleared', or None for both ('all' and absent mean the same)."""
    value = choice(params, "state", STATES)
    return None if value == "all" else value


def lang(
    params: Mapping[str, str],
    available: Iterable[str] | None = None,
    accept_language: str | None = None,
) -> str:
    """The language to answer in: `lang=`, then the Accept-Language header, matched against the
    `available` languages as everywhere (de-AT → de, pt-BR → pt); English when none fits.

    Without `available`, the tag itself (normalized), for callers whose texts fall back on
    their own.
    """
    wishes = [text(params, "lang"), *parse_accept_language(accept_language)]
    if available is None:
        return next(filter(None, map(normalize_tag, wishes)), DEFAULT_LANG)
    return negotiate(wishes, available) or DEFAULT_LANG


def error_filter(params: Mapping[str, str]) -> ErrorFilter:
    return ErrorFilter(
        charger=text(params, "charger") or text(params, "charger_id"),
        code=text(params, "code"),
        severity=severity(params),
    )
