"""Values the analytics share: a time window and what is known about a charger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open span of time [since, until)."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError("until must be later than since.")

    @property
    def minutes(self) -> float:
        return (self.until - self.since).total_seconds() / 60

    def clip(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) lies inside the window."""
        lo, hi = max(start, self.since), min(end, self.until)
        return hi - lo if hi > lo else timedelta(0)


@dataclass(frozen=True, slots=True)
class ChargerInfo:
    """What the BootNotification told about a charger (for grouping by vendor, model, …)."""

    charger_id: str
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None


def minutes(span: timedelta) -> float:
    return span.total_seconds() / 60
