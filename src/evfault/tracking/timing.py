"""Which clock dates an event: the charger's, when it can be believed, else ours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Stamp:
    """The time an event is dated by, and the time evfault heard it."""

    at: datetime
    received_at: datetime
    flagged: bool  # `at` is the time of receipt: the charger's own time was unusable


def stamp(
    charger_time: datetime | None,
    received_at: datetime,
    booted_at: datetime | None,
    skew: timedelta,
) -> Stamp:
    """Date an event by the charger's clock when plausible, else by its receipt (flagged)."""
    if charger_time is not None and plausible(charger_time, received_at, booted_at, skew):
        return Stamp(charger_time, received_at, False)
    return Stamp(received_at, received_at, True)


def plausible(
    charger_time: datetime, received_at: datetime, booted_at: datetime | None, skew: timedelta
) -> bool:
    """A charger's time is believed unless it is from the future or from before its last boot.

    OCPP 1.6 chargers often boot with an unset clock (1970, or the firmware's build date) until
    the BootNotification answer sets it, so a time before the boot is the clock, not the event.
    """
    if (charger_time.tzinfo is None) != (received_at.tzinfo is None):
        return False  # naive beside aware: no way to tell which instant was meant
    if charger_time > received_at + skew:
        return False
    return booted_at is None or charger_time >= booted_at
