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
    first_seen: datetime | None = None,
) -> Stamp:
    """Date an event by the charger's clock when plausible, else by its receipt (flagged)."""
    if charger_time is not None and plausible(charger_time, received_at, booted_at, skew,
                                              first_seen):
        return Stamp(charger_time, received_at, False)
    return Stamp(received_at, received_at, True)


def plausible(
    charger_time: datetime,
    received_at: datetime,
    booted_at: datetime | None,
    skew: timedelta,
    first_seen: datetime | None = None,
) -> bool:
    """A charger's time is believed unless it is from the future, from before its last boot, or
    from before evfault first heard of the charger (less the allowed skew).

    OCPP 1.6 chargers often boot with an unset clock (1970, or the firmware's build date) until
    the BootNotification answer sets it, so a time before the boot is the clock, not the event.
    A time before the charger existed (0001-01-01, 1970) would give decades-long incidents and
    may not even be storable once converted to UTC.
    """
    if (charger_time.tzinfo is None) != (received_at.tzinfo is None):
        return False  # naive beside aware: no way to tell which instant was meant
    try:
        if charger_time > received_at + skew:
            return False
        if first_seen is not None and charger_time < first_seen - skew:
            return False
        return booted_at is None or charger_time >= booted_at
    except OverflowError:  # a time at the very edge of the calendar is not a real one
        return False


def clear_stamp(when: Stamp, opened_at: datetime) -> Stamp:
    """The time a clear is dated by: never before the incident opened.

    A charger's clear time before the opening (its clock jumped, or the opening was dated by
    receipt) is not believed: the receipt time stands in, flagged; if even that is earlier (an
    opening dated ahead of us, within the skew), the clear is dated at the opening."""
    if when.at >= opened_at:
        return when
    return Stamp(max(when.received_at, opened_at), when.received_at, True)
