"""The command history as blocking queries (run in a thread by the side store)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, Row, insert, select, update

from evfault.commands.model import CommandOutcome, CommandStatus
from evfault.store import schema

_c = schema.commands


def _dumps(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _values(outcome: CommandOutcome) -> dict[str, Any]:
    return {"status": outcome.status.value, "action": outcome.action,
            "payload": _dumps(outcome.payload), "answer": _dumps(outcome.answer),
            "error": outcome.error, "answered_at": outcome.answered_at, "node": outcome.node}


def add(connection: Connection, outcome: CommandOutcome) -> None:
    connection.execute(insert(_c).values(
        id=outcome.id, charger_id=outcome.charger_id, command=outcome.command,
        args=_dumps(outcome.args) or "{}", actor=outcome.actor, sent_at=outcome.sent_at,
        **_values(outcome)))


def finish(connection: Connection, outcome: CommandOutcome) -> None:
    """Record the answer (or the timeout) of a command added before it was sent."""
    connection.execute(update(_c).where(_c.c.id == outcome.id).values(**_values(outcome)))


def _outcome(row: Row[Any]) -> CommandOutcome:
    return CommandOutcome(
        id=row.id, charger_id=row.charger_id, command=row.command, args=_loads(row.args) or {},
        actor=row.actor, status=CommandStatus(row.status), sent_at=row.sent_at,
        action=row.action, payload=_loads(row.payload), answer=_loads(row.answer),
        error=row.error, answered_at=row.answered_at, node=row.node)


def history(connection: Connection, charger_id: str, limit: int = 50) -> list[CommandOutcome]:
    """A charger's commands, newest first."""
    statement = (select(_c).where(_c.c.charger_id == charger_id)
                 .order_by(_c.c.sent_at.desc(), _c.c.id).limit(limit))
    return [_outcome(row) for row in connection.execute(statement)]


def one(connection: Connection, command_id: str) -> CommandOutcome | None:
    row = connection.execute(select(_c).where(_c.c.id == command_id)).first()
    return _outcome(row) if row is not None else None
