"""Charging success rate from status sequences: sessions that ended normally vs. with an error.

A session starts when a port enters a charging status (OCPP 1.6 Charging, SuspendedEV or
SuspendedEVSE; OCPP 2.0.1 Occupied) and ends at the first status outside them. It ended with an
error when that status is Faulted or Unavailable, and normally otherwise (Finishing, Available,
…). A session still running at the end of the data is not counted either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from evfault.tracking.model import StatusChange

IN_SESSION = frozenset({"charging", "suspendedev", "suspendedevse", "occupied"})
ENDS_IN_ERROR = frozenset({"faulted", "unavailable"})


@dataclass(frozen=True, slots=True)
class SuccessRow:
    group: str
    sessions: int
    succeeded: int
    failed: int

    @property
    def rate(self) -> float | None:
        return self.succeeded / self.sessions * 100 if self.sessions else None

    def as_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {"group": self.group, "sessions": self.sessions, "succeeded": self.succeeded,
                "failed": self.failed, "success_rate": None if rate is None else round(rate, 3)}


def success_rate(changes: Iterable[StatusChange], by: str = "all") -> list[SuccessRow]:
    """Sessions and how they ended, per charger, per port or for the whole fleet."""
    if by not in ("all", "charger", "connector"):
        raise ValueError(f"success rate groups by all, charger or connector, not {by!r}.")
    by_port: dict[tuple[str, int], list[StatusChange]] = defaultdict(list)
    for change in changes:
        by_port[(change.charger_id, change.connector_id)].append(change)
    ok: dict[str, int] = defaultdict(int)
    bad: dict[str, int] = defaultdict(int)
    for (charger_id, connector_id), items in by_port.items():
        group = {"all": "all", "charger": charger_id,
                 "connector": f"{charger_id}/{connector_id}"}[by]
        ok[group] += 0
        for ended_in_error in _session_ends(sorted(items, key=lambda s: s.at)):
            if ended_in_error:
                bad[group] += 1
            else:
                ok[group] += 1
    rows = [SuccessRow(g, ok[g] + bad[g], ok[g], bad[g]) for g in ok]
    return sorted(rows, key=lambda r: (r.rate if r.rate is not None else 101.0, r.group))


def _session_ends(items: list[StatusChange]) -> Iterable[bool]:
    charging = False
    for change in items:
        status = change.status.lower()
        if status in IN_SESSION:
            charging = True
        elif charging:
            charging = False
            yield status in ENDS_IN_ERROR
