"""Retention of the raw log: frames older than the age limit, or beyond the row limit, go.

Only the raw log is pruned: the `messages` table (every frame in and out) and `status_events`
(every StatusNotification as reported). Incidents, status and connectivity history, chargers
and everything an operator did are kept. Rows are deleted oldest first, a chunk at a time in
short transactions of their own, so the charger store's writer is never held up for long.

Ids grow with time (rows are appended as frames arrive), so "older than" is found by walking
up from the lowest id, and "beyond the row limit" by counting down from the highest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, delete, select

from evfault.store.schema import messages, status_events

log = logging.getLogger("evfault.store")

CHUNK = 5000  # rows deleted per transaction
# A cycle deletes at most this many chunks per table, then yields to the next cycle: a first
# run over years of frames never hogs the database.
MAX_CHUNKS = 200
LOGS: tuple[tuple[Table, str], ...] = ((messages, "at"), (status_events, "received_at"))


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """The `log_retention_days` and `log_retention_rows` settings (0: no such limit)."""

    days: float = 0.0
    rows: int = 0

    @property
    def active(self) -> bool:
        return self.days > 0 or self.rows > 0


def prune_chunk(connection: Connection, table: Table, time_column: str, now: datetime,
                rule: RetentionRule, chunk: int = CHUNK) -> int:
    """Delete up to `chunk` of the oldest rows of `table` that the rule lets go; how many."""
    boundary = _size_boundary(connection, table, rule.rows)
    if rule.days > 0:
        boundary = max(boundary, _age_boundary(connection, table, time_column,
                                               now - timedelta(days=rule.days), chunk))
    if boundary <= 0:
        return 0
    first = connection.execute(select(table.c.id).order_by(table.c.id).limit(1)).scalar()
    if first is None or first > boundary:
        return 0
    last = min(boundary, first + chunk - 1)
    result = connection.execute(delete(table).where(table.c.id <= last))
    return int(result.rowcount or 0)


def _size_boundary(connection: Connection, table: Table, keep: int) -> int:
    """The highest id beyond the newest `keep` rows (0: none, or no limit)."""
    if keep <= 0:
        return 0
    row = connection.execute(
        select(table.c.id).order_by(table.c.id.desc()).offset(keep).limit(1)).scalar()
    return int(row) if row is not None else 0


def _age_boundary(connection: Connection, table: Table, time_column: str, cutoff: datetime,
                  chunk: int) -> int:
    """The highest id among the oldest `chunk` rows dated before `cutoff` (0: none)."""
    column = table.c[time_column]
    rows = connection.execute(
        select(table.c.id, column).order_by(table.c.id).limit(chunk)).all()
    boundary = 0
    for row_id, at in rows:
        if at >= cutoff:
            break
        boundary = row_id
    return boundary


Writer = Callable[..., Awaitable[Any]]


class Retention:
    """Prunes the raw log every `interval` seconds, in a transaction per chunk."""

    def __init__(self, write: Writer, rule: RetentionRule, clock: Callable[[], datetime],
                 interval: float = 300.0) -> None:
        self._write = write
        self.rule = rule
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.deleted = 0  # rows deleted since the start (for operators and tests)

    def start(self) -> None:
        if self.rule.active:
            self._task = asyncio.create_task(self._forever(), name="evfault-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        """One cycle over both tables; the rows it deleted."""
        deleted = 0
        now = self._clock()
        for table, column in LOGS:
            for _ in range(MAX_CHUNKS):
                done = await self._write(prune_chunk, table, column, now, self.rule)
                deleted += done
                if done == 0:
                    break
        if deleted:
            log.info("retention: %d raw log rows past %s deleted", deleted, self._describe())
        self.deleted += deleted
        return deleted

    def _describe(self) -> str:
        limits = []
        if self.rule.days > 0:
            limits.append(f"{self.rule.days:g} days (log_retention_days)")
        if self.rule.rows > 0:
            limits.append(f"{self.rule.rows} rows a table (log_retention_rows)")
        return " or ".join(limits)

    async def _forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # keep pruning later: a busy database must not end retention
                log.exception("retention cycle failed")
            await asyncio.sleep(self._interval)
