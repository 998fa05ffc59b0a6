"""The alert outbox and the rules' versions, as blocking queries (run in a worker thread).

Each function takes an open connection inside the caller's transaction. A message is written
once (its key is unique, so two nodes deciding the same alert store it once), claimed before it
is sent (a lease: a node that dies mid-send leaves it to be retried when the lease ends), and
marked sent or failed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Row, func, select, update

from evfault.store import schema
from evfault.store.registry import upsert

_o = schema.alert_outbox
_r = schema.rule_sets


class State:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    key: str
    message_key: str
    rule: str
    kind: str
    seq: int
    subject: str
    charger_id: str
    channel: str
    target: str
    payload: dict[str, Any]
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class NewMessage:
    key: str
    message_key: str
    rule: str
    kind: str
    seq: int
    subject: str
    charger_id: str
    channel: str
    target: str
    payload: dict[str, Any]


def _row(row: Row[Any]) -> OutboxRow:
    values = row._asdict()
    values["payload"] = orjson.loads(values["payload"])
    return OutboxRow(**values)


def add(connection: Connection, messages: list[NewMessage], at: datetime) -> int:
    """Write messages not written before (by key); the number new."""
    added = 0
    for m in messages:
        statement = upsert(connection, _o).values(
            key=m.key, message_key=m.message_key, rule=m.rule, kind=m.kind, seq=m.seq,
            subject=m.subject, charger_id=m.charger_id, channel=m.channel, target=m.target,
            payload=orjson.dumps(m.payload).decode(), state=State.PENDING, attempts=0,
            created_at=at, next_attempt_at=at,
        ).on_conflict_do_nothing(index_elements=["key"]).returning(_o.c.id)
        added += connection.execute(statement).first() is not None
    return added


def due(connection: Connection, now: datetime, limit: int = 50) -> list[OutboxRow]:
    """Pending messages whose next attempt is due, oldest first."""
    statement = (select(_o).where(_o.c.state == State.PENDING, _o.c.next_attempt_at <= now)
                 .order_by(_o.c.id).limit(limit))
    return [_row(r) for r in connection.execute(statement)]


def claim(connection: Connection, row: OutboxRow, now: datetime, lease: timedelta) -> bool:
    """Take a due message for one attempt; False if another node took it first."""
    statement = (update(_o)
                 .where(_o.c.id == row.id, _o.c.state == State.PENDING,
                        _o.c.next_attempt_at == row.next_attempt_at)
                 .values(next_attempt_at=now + lease, attempts=_o.c.attempts + 1)
                 .returning(_o.c.id))
    return connection.execute(statement).first() is not None


def mark_sent(connection: Connection, row_id: int, at: datetime) -> None:
    connection.execute(update(_o).where(_o.c.id == row_id)
                       .values(state=State.SENT, sent_at=at, last_error=None))


def mark_failed(connection: Connection, row_id: int, error: str,
                retry_at: datetime | None) -> None:
    """A failed attempt: try again at `retry_at`, or give up (None)."""
    values: dict[str, Any] = {"last_error": error[:500]}
    if retry_at is None:
        values["state"] = State.FAILED
    else:
        values["next_attempt_at"] = retry_at
    connection.execute(update(_o).where(_o.c.id == row_id).values(**values))


def retry(connection: Connection, row_id: int, at: datetime) -> bool:
    """Put a failed message back in the queue, its attempts counted afresh; False if it was
    not a failed one."""
    statement = (update(_o).where(_o.c.id == row_id, _o.c.state == State.FAILED)
                 .values(state=State.PENDING, attempts=0, next_attempt_at=at)
                 .returning(_o.c.id))
    return connection.execute(statement).first() is not None


def listing(connection: Connection, *, state: str | None = None, charger_id: str | None = None,
            limit: int = 100, before: int | None = None) -> list[OutboxRow]:
    """Messages newest first; `before` pages back from the last id seen."""
    statement = select(_o).order_by(_o.c.id.desc()).limit(limit)
    if state:
        statement = statement.where(_o.c.state == state)
    if charger_id:
        statement = statement.where(_o.c.charger_id == charger_id)
    if before:
        statement = statement.where(_o.c.id < before)
    return [_row(r) for r in connection.execute(statement)]


def one(connection: Connection, row_id: int) -> OutboxRow | None:
    found = connection.execute(select(_o).where(_o.c.id == row_id)).first()
    return _row(found) if found else None


def counts(connection: Connection) -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    rows = connection.execute(select(_o.c.state, func.count()).group_by(_o.c.state))
    found = {State.PENDING: 0, State.SENT: 0, State.FAILED: 0}
    found.update({state: n for state, n in rows})
    return found


def fired_since(connection: Connection, since: datetime) -> list[OutboxRow]:
    """Alerts and repeats written since `since` whose subject has no resolved message yet
    (first channel only: one row per message)."""
    done = schema.alert_outbox.alias("done")
    statement = (select(_o)
                 .where(_o.c.created_at >= since, _o.c.kind.in_(("alert", "repeat")),
                        _o.c.key.like("%:0"))
                 .where(~select(done.c.id).where(done.c.kind == "resolved",
                                                 done.c.rule == _o.c.rule,
                                                 done.c.subject == _o.c.subject).exists())
                 .order_by(_o.c.id))
    return [_row(r) for r in connection.execute(statement)]


# ---- the rules' versions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleVersion:
    id: int
    text: str
    source: str
    actor: str
    created_at: datetime


def newest_rules(connection: Connection, source_prefix: str | None = None
                 ) -> RuleVersion | None:
    """The rules in force (or the newest that came from a source starting with the prefix)."""
    statement = select(_r).order_by(_r.c.id.desc()).limit(1)
    if source_prefix is not None:
        statement = statement.where(_r.c.source.like(f"{source_prefix}%"))
    found = connection.execute(statement).first()
    return RuleVersion(**found._asdict()) if found else None


def newest_rules_id(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(_r.c.id), 0))).scalar_one())


def add_rules(connection: Connection, text: str, source: str, actor: str, at: datetime
              ) -> RuleVersion:
    row_id = connection.execute(_r.insert().values(text=text, source=source, actor=actor,
                                                   created_at=at).returning(_r.c.id)).scalar_one()
    return RuleVersion(int(row_id), text, source, actor, at)
