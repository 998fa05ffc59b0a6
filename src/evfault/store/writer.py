"""Group commit (PostgreSQL): one thread writes whatever batches are waiting in one transaction.

Callers on the event loop enqueue a batch and await a future. The writer thread takes every
pending batch (up to a cap), writes them with one statement per table (executemany, or COPY on
PostgreSQL), commits once, and only then resolves the futures. While it commits, the next group
gathers, so under load a single fsync covers hundreds of messages and the disk bounds the rate
of commits, not of messages.

When a group's transaction fails, its halves are retried, each in its own transaction, and
theirs in turn, so that one bad batch fails only its own writer; when the connection itself is
lost, every batch of the group fails with that error and the next group reconnects.

SQLite uses loop_writer.py instead, which keeps the same promises with less GIL contention.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from evfault.store.group import group_rows
from evfault.store.model import WriteBatch
from evfault.store.writes import GroupStatements

log = logging.getLogger(__name__)

MAX_GROUP = 2000  # batches per transaction: bounds memory and the latency of one commit


@dataclass(frozen=True, slots=True)
class Pending:
    batch: WriteBatch
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop


@dataclass(slots=True)
class WriterStats:
    groups: int = 0
    batches: int = 0
    failed_batches: int = 0
    cpu_s: float = 0.0  # CPU time the writer thread spent on groups (benchmarks read it)


_STOP = object()


def utc_now() -> datetime:
    return datetime.now(UTC)


class GroupWriter:
    """The single writer: owns its engine (one connection) and a thread."""

    def __init__(
        self,
        engine: Engine,
        max_group: int = MAX_GROUP,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._statements = GroupStatements(engine.dialect.name)
        self._max_group = max_group
        self._clock = clock
        self._queue: queue.SimpleQueue[Pending | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="evfault-store-writer",
                                        daemon=True)
        self.stats = WriterStats()

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: WriteBatch) -> asyncio.Future[None]:
        """Queue `batch`; the future resolves once it is committed (or fails with the error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(Pending(batch, future, loop))
        return future

    def stop(self) -> None:
        """Write everything queued so far, then end the thread (blocking)."""
        self._queue.put(_STOP)
        self._thread.join()

    # ---- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group, stopping = self._take()
            if not group:
                continue
            try:
                self._commit(group)
            except Exception as exc:  # a bug here must not leave writers waiting forever
                log.exception("store: the writer failed on a group")
                resolve(group, exc)

    def _take(self) -> tuple[list[Pending], bool]:
        """Block for the first batch, then take whatever else is already waiting."""
        first = self._queue.get()
        if first is _STOP:
            return [], True
        assert isinstance(first, Pending)
        group = [first]
        while len(group) < self._max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return group, True
            assert isinstance(item, Pending)
            group.append(item)
        return group, False

    def _commit(self, group: list[Pending]) -> None:
        started = time.thread_time()
        try:
            self._commit_or_isolate(group)
        finally:
            self.stats.cpu_s += time.thread_time() - started

    def _commit_or_isolate(self, group: list[Pending]) -> None:
        try:
            self._write([p.batch for p in group])
        except Exception as exc:
            self._after_failure(group, exc)
            return
        self._record(group, failed=0)
        resolve(group, None)

    def _write(self, batches: Sequence[WriteBatch]) -> None:
        rows = group_rows(batches, self._clock(), self._statements.encode_time)
        with self._engine.begin() as connection:
            self._statements.execute(connection, rows)

    def _after_failure(self, group: list[Pending], exc: Exception) -> None:
        """Retry each half, and their halves, so that one bad batch fails only its own writer
        (about 2·log2(n) transactions for a rare bad batch, not n)."""
        if len(group) == 1 or lost_connection(exc):
            log.warning("store: a group of %d batches failed: %s", len(group), exc)
            self._record(group, failed=len(group))
            resolve(group, exc)
            return
        middle = len(group) // 2
        self._commit_or_isolate(group[:middle])
        self._commit_or_isolate(group[middle:])

    def _record(self, group: list[Pending], failed: int) -> None:
        self.stats.groups += 1
        self.stats.batches += len(group) - failed
        self.stats.failed_batches += failed


def lost_connection(exc: Exception) -> bool:
    """Whether the database itself is gone (retrying batch by batch would only fail slower)."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def resolve(group: Sequence[Pending], exc: BaseException | None) -> None:
    """Settle the futures of `group`, with one wake-up per event loop rather than per future."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for pending in group:
        by_loop.setdefault(pending.loop, []).append(pending.future)
    for loop, futures in by_loop.items():
        # RuntimeError: that event loop is closed, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, futures, exc)


def settle(futures: list[asyncio.Future[None]], exc: BaseException | None) -> None:
    for future in futures:
        if future.done():  # its task was cancelled; the batch is written all the same
            continue
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)
