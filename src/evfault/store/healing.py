"""Self-healing attempts as blocking queries (run in a worker thread by a TrustStore or the
SqlStore's readers). Each takes an open connection inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, or_, select, update

from evfault.alerts.healing import Attempt
from evfault.alerts.rules import Action
from evfault.commands.model import CommandOutcome
from evfault.store import schema
from evfault.store.registry import upsert

_a = schema.incident_actions


def _attempt(row: Row[Any]) -> Attempt:
    return Attempt(
        incident_id=row.incident_id, charger_id=row.charger_id, connector_id=row.connector_id,
        rule=row.rule, action=Action(row.action), step=row.step, at=row.at, status=row.status,
        answer=orjson.loads(row.answer) if row.answer else None, error=row.error,
        cleared=row.cleared, checked_at=row.checked_at, id=int(row.id))


def add(connection: Connection, attempt: Attempt) -> int | None:
    """Record an attempt before its command leaves; None if this step was taken already."""
    statement = upsert(connection, _a).values(
        incident_id=attempt.incident_id, charger_id=attempt.charger_id,
        connector_id=attempt.connector_id, rule=attempt.rule, action=attempt.action.value,
        step=attempt.step, at=attempt.at, status=attempt.status,
    ).on_conflict_do_nothing(index_elements=["incident_id", "rule", "step"]).returning(_a.c.id)
    found = connection.execute(statement).first()
    return int(found[0]) if found else None


def answered(connection: Connection, attempt_id: int, outcome: CommandOutcome) -> None:
    answer = None if outcome.answer is None else orjson.dumps(outcome.answer).decode()
    connection.execute(update(_a).where(_a.c.id == attempt_id).values(
        status=outcome.status.value, answer=answer, error=outcome.error))


def judged(connection: Connection, attempt_id: int, cleared: bool, at: datetime) -> None:
    connection.execute(update(_a).where(_a.c.id == attempt_id, _a.c.cleared.is_(None))
                       .values(cleared=cleared, checked_at=at))


def recent(connection: Connection, since: datetime) -> list[Attempt]:
    """Attempts made since `since`, and every one still waiting for its verdict."""
    statement = (select(_a).where(or_(_a.c.at >= since, _a.c.cleared.is_(None)))
                 .order_by(_a.c.id))
    return [_attempt(r) for r in connection.execute(statement)]


def for_incidents(connection: Connection, incident_ids: Sequence[str]
                  ) -> dict[str, list[Attempt]]:
    """The attempts on each of these incidents, oldest first."""
    found: dict[str, list[Attempt]] = {}
    ids = list(dict.fromkeys(incident_ids))
    for start in range(0, len(ids), 500):  # bound the IN list
        statement = (select(_a).where(_a.c.incident_id.in_(ids[start:start + 500]))
                     .order_by(_a.c.id))
        for row in connection.execute(statement):
            found.setdefault(row.incident_id, []).append(_attempt(row))
    return found
