"""Charging profiles that carry a site's allocation to a charger, for OCPP 1.6 and 2.0.1 (pure).

Two profiles on the whole charger (connector / EVSE 0), both in amperes per phase:

- the fallback, stack level 0, no end: the charger's own safety net. OCPP keeps installed
  profiles across a lost connection, so this is the charger's fallback setting (OCPP 1.6
  smart charging §3.13.4: when no profile of a higher stack level is valid, the lower applies);
- the allocation, stack level 1, valid for `hold_s` from now and renewed well before that. When
  evfault can no longer renew it (the charger, the site or evfault is cut off), it runs out and
  the charger drops to its fallback by itself — the reservation the seed deducts.

1.6 uses ChargePointMaxProfile; a charger that refuses it gets the same as a TxDefaultProfile
(also on connector 0, so it holds for every transaction). 2.0.1 uses ChargingStationMaxProfile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evfault.commands.vocabulary import V16

FALLBACK_PROFILE_ID = 71_001
LIMIT_PROFILE_ID = 71_002
MAX_PURPOSE = {V16: "ChargePointMaxProfile", "2.0.1": "ChargingStationMaxProfile"}
TX_DEFAULT = "TxDefaultProfile"


def _when(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def profile(version: str, limit_a: float, *, profile_id: int, stack_level: int,
            start: datetime, duration_s: int | None, purpose: str | None = None,
            phases: int = 3) -> dict[str, Any]:
    """One charging profile in the version's own shape (the vocabulary's `profile` argument)."""
    period: dict[str, Any] = {"startPeriod": 0, "limit": round(limit_a, 1),
                              "numberPhases": phases}
    schedule: dict[str, Any] = {"chargingRateUnit": "A", "chargingSchedulePeriod": [period],
                                "startSchedule": _when(start)}
    if duration_s is not None:
        schedule["duration"] = duration_s
    purpose = purpose or MAX_PURPOSE.get(version, MAX_PURPOSE[V16])
    if version == V16:
        return {"chargingProfileId": profile_id, "stackLevel": stack_level,
                "chargingProfilePurpose": purpose, "chargingProfileKind": "Absolute",
                "chargingSchedule": schedule}
    return {"id": profile_id, "stackLevel": stack_level, "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Absolute", "chargingSchedule": [{"id": profile_id, **schedule}]}


def limit_profile(version: str, limit_a: float, start: datetime, hold_s: float,
                  purpose: str | None = None, phases: int = 3) -> dict[str, Any]:
    return profile(version, limit_a, profile_id=LIMIT_PROFILE_ID, stack_level=1, start=start,
                   duration_s=max(1, round(hold_s)), purpose=purpose, phases=phases)


def fallback_profile(version: str, fallback_a: float, start: datetime,
                     purpose: str | None = None, phases: int = 3) -> dict[str, Any]:
    return profile(version, fallback_a, profile_id=FALLBACK_PROFILE_ID, stack_level=0,
                   start=start, duration_s=None, purpose=purpose, phases=phases)


def limit_of(version: str, payload: dict[str, Any]) -> float | None:
    """The limit (A) a SetChargingProfile payload sets, as a charger reads it back (tests, sim)."""
    body = payload.get("csChargingProfiles" if version == V16 else "chargingProfile")
    if not isinstance(body, dict):
        return None
    schedule = body.get("chargingSchedule")
    if isinstance(schedule, list):
        schedule = schedule[0] if schedule else None
    if not isinstance(schedule, dict) or schedule.get("chargingRateUnit") != "A":
        return None
    periods = schedule.get("chargingSchedulePeriod") or []
    limit = periods[0].get("limit") if periods and isinstance(periods[0], dict) else None
    return float(limit) if isinstance(limit, int | float) else None
