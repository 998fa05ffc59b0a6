"""Group commit for SQLite: the statements run on the event loop, only COMMIT in a thread.

SQLite's writer does little but CPU work (building rows, binding them, B-tree inserts) and one
fsync per group. Run in a thread beside the event loop, that CPU work fought the loop for the
GIL all the time: replayed alone, a group cost the writer ~80 µs of CPU per message; in the
server, ~170 µs, and the loop paid for the hand-overs as well. So the group's statements run on
the loop itself (~5 ms for a group of 100 messages) and only the COMMIT, which waits for the
disk with the GIL released, goes to a helper thread; meanwhile the loop serves chargers and
gathers the next group. The hand-over happens twice per group instead of around every row.
With benchmarks/server_load.py (200 chargers) this carried ~20% more messages a second than the
threaded writer with everything else equal (6,400 against 5,400 msg/s in one run).

Same promises as the threaded writer (writer.py): a future resolves only once its batch is
committed; batches are written in the order they were submitted; when a group's statements
fail, its halves are tried again, and their halves (each in a savepoint, so the survivors
still share one commit) until only the bad batches fail; when the COMMIT itself fails (the
disk, not a batch), every batch of the group fails with that error.

A group of statements blocks the loop while it runs (bounded by MAX_GROUP), and BEGIN IMMEDIATE
waits up to the busy timeout if another process holds SQLite's write lock: evfault's own
server is the only writer of its database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Connection, Engine, RootTransaction

from evfault.store.group import group_rows
from evfault.store.model import WriteBatch
from evfault.store.writer import MAX_GROUP, WriterStats, lost_connection, settle, utc_now
from evfault.store.writes import GroupStatements

log = logging.getLogger("evfault.store.writer")

Failure = tuple[asyncio.Future[None], BaseException]


class LoopGroupWriter:
    """The single SQLite writer of one event loop: one connection, one commit thread."""

    def __init__(
        self,
        engine: Engine,
        loop: asyncio.AbstractEventLoop,
        max_group: int = MAX_GROUP,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._loop = loop
        self._statements = GroupStatements(engine.dialect.name)
        self._max_group = max_group
        self._clock = clock
        self._waiting: list[tuple[WriteBatch, asyncio.Future[None]]] = []
        self._busy = False  # a group is being written or committed
        self._idle = asyncio.Event()
        self._idle.set()
        self._connection: Connection | None = None
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="evfault-store-commit")
        self.stats = WriterStats()

    def submit(self, batch: WriteBatch) -> asyncio.Future[None]:
        """Queue `batch`; the future resolves once it is committed (or fails with the error)."""
        if asyncio.get_running_loop() is not self._loop:
            raise RuntimeError("This store writes from the event loop it was started in.")
        future = self._loop.create_future()
        self._waiting.append((batch, future))
        if not self._busy:
            self._busy = True
            self._idle.clear()
            # On the next turn of the loop: whatever else arrives in this turn joins the group.
            self._loop.call_soon(self._next_group)
        return future

    async def close(self) -> None:
        """Commit everything queued so far, then release the connection and the thread."""
        await self._idle.wait()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._committer.shutdown()

    # ---- one group -------------------------------------------------------------------------

    def _next_group(self) -> None:
        group = self._waiting[: self._max_group]
        del self._waiting[: len(group)]
        if not group:
            self._busy = False
            self._idle.set()
            return
        started = time.thread_time()
        try:
            transaction, failures = self._execute(group)
        except Exception as exc:  # a bug here must not leave writers waiting forever
            log.exception("store: the writer failed on a group")
            self._finish(group, [], exc, then_soon=True)
            return
        finally:
            self.stats.cpu_s += time.thread_time() - started
        done = self._loop.run_in_executor(self._committer, self._commit, transaction)
        done.add_done_callback(lambda f: self._committed(group, failures, f))

    def _execute(
        self, group: list[tuple[WriteBatch, asyncio.Future[None]]]
    ) -> tuple[RootTransaction, list[Failure]]:
        """Run the group's statements in a new transaction; isolate batches if that fails."""
        connection = self._open()
        transaction = connection.begin()
        try:
            self._write(connection, [batch for batch, _ in group])
            return transaction, []
        except Exception as exc:
            transaction.rollback()
            if len(group) == 1 or lost_connection(exc):
                raise
            log.warning("store: a group of %d batches failed (%s); isolating the bad ones",
                        len(group), exc)
        transaction = connection.begin()
        failures: list[Failure] = []
        middle = len(group) // 2
        self._isolate(connection, group[:middle], failures)
        self._isolate(connection, group[middle:], failures)
        return transaction, failures

    def _isolate(self, connection: Connection,
                 group: list[tuple[WriteBatch, asyncio.Future[None]]],
                 failures: list[Failure]) -> None:
        """Write `group` in a savepoint; if it fails, each half again (bisection).

        A rare bad batch costs about 2·log2(n) small writes instead of n: the good batches
        around it are not written one at a time."""
        savepoint = connection.begin_nested()
        try:
            self._write(connection, [batch for batch, _ in group])
            savepoint.commit()
            return
        except Exception as exc:
            savepoint.rollback()
            if len(group) == 1:
                log.warning("store: a batch failed and was not written: %s", exc)
                failures.append((group[0][1], exc))
                return
        middle = len(group) // 2
        self._isolate(connection, group[:middle], failures)
        self._isolate(connection, group[middle:], failures)

    def _write(self, connection: Connection, batches: Sequence[WriteBatch]) -> None:
        rows = group_rows(batches, self._clock(), self._statements.encode_time)
        self._statements.execute(connection, rows)

    def _open(self) -> Connection:
        if self._connection is None or self._connection.invalidated:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._engine.connect()
        return self._connection

    @staticmethod
    def _commit(transaction: RootTransaction) -> float:
        """In the commit thread: the fsync, with the GIL released by the driver.

        Returns the thread's CPU seconds (the stats belong to the loop thread).
        """
        started = time.thread_time()
        try:
            transaction.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                transaction.rollback()
            raise
        return time.thread_time() - started

    def _committed(
        self,
        group: list[tuple[WriteBatch, asyncio.Future[None]]],
        failures: list[Failure],
        done: asyncio.Future[float],
    ) -> None:
        exc = done.exception()
        if exc is None:
            self.stats.cpu_s += done.result()
        else:
            log.warning("store: committing a group of %d batches failed: %s", len(group), exc)
        self._finish(group, failures, exc)

    def _finish(
        self,
        group: list[tuple[WriteBatch, asyncio.Future[None]]],
        failures: list[Failure],
        exc: BaseException | None,
        then_soon: bool = False,
    ) -> None:
        """Settle every future of the group, then start on what gathered meanwhile.

        After a commit the next group starts at once (a turn of the loop can take
        milliseconds under load); after a group that failed before its commit, on the next turn,
        so that a database refusing every group cannot recurse.
        """
        failed = dict(failures)
        if exc is not None:
            failed = {future: exc for _, future in group}
        self.stats.groups += 1
        self.stats.batches += len(group) - len(failed)
        self.stats.failed_batches += len(failed)
        for future, error in failed.items():
            settle([future], error)
        settle([future for _, future in group if future not in failed], None)
        if then_soon:
            self._loop.call_soon(self._next_group)
        else:
            self._next_group()
