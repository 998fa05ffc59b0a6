"""Shared facts for the analytics tests: the hand-computed uptime example.

Port CP-1/1 over the calendar year 2026 (365 days, so P = 525,600 minutes):

    Faulted        2026-03-01 10:00 → 14:30                       270 min
    Unavailable    2026-06-10 08:00 → 06-11 08:00 (excluded, 3)   1440 min
    charger offline 2026-09-05 22:00 → 09-06 01:15                195 min
    Faulted        2026-11-20 12:00 → 13:00, with CX001 active 12:00 → 13:20 (merged)  80 min
    a warning (reported with Charging) 2026-12-01 10:00 → 11:00   not an outage

    T_outage = 270 + 1440 + 195 + 80 = 1985 min,  T_excluded = 1440 min
    µ = (525600 − (1985 − 1440)) / 525600 × 100 = 525055 / 525600 × 100 = 99.89630898 %

Port CP-1/2 of the same charger is only out while the charger is offline: 195 min,
µ = (525600 − 195) / 525600 × 100 = 99.96289954 %.
"""

from __future__ import annotations

from datetime import UTC, datetime

YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
P_MIN = 525_600
CP1_OUTAGE_MIN = 1985
CP1_EXCLUDED_MIN = 1440
CP1_UPTIME = (P_MIN - (CP1_OUTAGE_MIN - CP1_EXCLUDED_MIN)) / P_MIN * 100
CP2_OUTAGE_MIN = 195
CP2_UPTIME = (P_MIN - CP2_OUTAGE_MIN) / P_MIN * 100
EXCLUDED_START = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)
