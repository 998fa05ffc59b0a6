"""SqlStore: the Store on SQLite (embedded default) or PostgreSQL (many nodes, one database).

Writes go through one writer with group commit (loop_writer.py on SQLite, writer.py on
PostgreSQL); reads run in worker threads on a separate connection pool, so a slow report never
delays a charger's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from evfault.alerts.healing import Attempt
from evfault.store import healing, reads
from evfault.store.engines import SYNCHRONOUS_MODES, reader_engine, writer_engine
from evfault.store.loop_writer import LoopGroupWriter
from evfault.store.migrate import upgrade
from evfault.store.model import (
    ChargerRow,
    ConnectorRow,
    IncidentQuery,
    MessageRow,
    StatusEventRow,
    StoredState,
    WriteBatch,
)
from evfault.store.urls import normalise_url
from evfault.store.writer import MAX_GROUP, GroupWriter, WriterStats
from evfault.tracking.model import ConnectivityChange, Incident, StatusChange

T = TypeVar("T")


def open_store(url: str, *, synchronous: str = "FULL", max_group: int = MAX_GROUP) -> SqlStore:
    """A store for `url` (sqlite:///file.db or postgresql://…); `await store.start()` next.

    `synchronous` (SQLite only): FULL survives power loss; NORMAL survives a crash of the
    process but may lose the last commits on power loss, for fewer fsyncs.
    """
    return SqlStore(normalise_url(url), synchronous=synchronous.upper(), max_group=max_group)


class SqlStore:
    """The Store protocol over SQLAlchemy Core."""

    def __init__(self, url: URL, *, synchronous: str = "FULL", max_group: int = MAX_GROUP) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(
                f"SQLite synchronous mode must be FULL or NORMAL, not {synchronous!r}."
            )
        self._url = url
        self._synchronous = synchronous
        self._max_group = max_group
        # SQLite: statements on the event loop, COMMIT in a thread (see loop_writer.py);
        # PostgreSQL: the whole group in the writer thread.
        self._writer: GroupWriter | LoopGroupWriter | None = None
        self._write_engine: Engine | None = None
        self._read_engine: Engine | None = None
        self._closed = False

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._url.get_backend_name()

    @property
    def url(self) -> str:
        """The database URL, with any password hidden (fit for logs)."""
        return self._url.render_as_string(hide_password=True)

    @property
    def stats(self) -> WriterStats:
        """Groups and batches committed so far."""
        return self._started_writer().stats

    # ---- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Migrate the schema to the newest version and start the writer."""
        if self._writer is not None or self._closed or self._write_engine is not None:
            raise RuntimeError("A store can be started once.")
        engine = await asyncio.to_thread(self._start_blocking)
        if engine.dialect.name == "sqlite":
            self._writer = LoopGroupWriter(engine, asyncio.get_running_loop(),
                                           max_group=self._max_group)
        else:
            self._writer = GroupWriter(engine, max_group=self._max_group)
            self._writer.start()

    def _start_blocking(self) -> Engine:
        engine = writer_engine(self._url, self._synchronous)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        self._write_engine = engine
        self._read_engine = reader_engine(self._url)
        return engine

    async def close(self) -> None:
        """Commit every batch already handed to write(), stop the writer, release connections."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self._writer, LoopGroupWriter):
            await self._writer.close()
        await asyncio.to_thread(self._close_blocking)

    def _close_blocking(self) -> None:
        if isinstance(self._writer, GroupWriter):
            self._writer.stop()
        for engine in (self._write_engine, self._read_engine):
            if engine is not None:
                engine.dispose()

    async def __aenter__(self) -> SqlStore:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- writes ----------------------------------------------------------------------------

    async def write(self, batch: WriteBatch) -> None:
        """Return once the batch is committed durably (grouped with other batches).

        If the caller is cancelled while waiting, the batch is still written.
        """
        if not batch:
            return
        await self._started_writer().submit(batch)

    def _started_writer(self) -> GroupWriter | LoopGroupWriter:
        if self._closed:
            raise RuntimeError("The store is closed; open a new one to write again.")
        if self._writer is None:
            raise RuntimeError("The store is not started; call `await store.start()` first.")
        return self._writer

    # ---- reads -----------------------------------------------------------------------------

    async def chargers(self) -> list[ChargerRow]:
        return await self._read(reads.chargers)

    async def charger(self, charger_id: str) -> ChargerRow | None:
        found = await self._read(reads.chargers, charger_id)
        return found[0] if found else None

    async def connectors(self, charger_id: str | None = None) -> list[ConnectorRow]:
        return await self._read(reads.connectors, charger_id)

    async def active_incidents(self, charger_id: str | None = None) -> list[Incident]:
        """Active incidents: critical before warning before info, then the oldest first."""
        return await self._read(reads.active_incidents, charger_id)

    async def incidents(self, query: IncidentQuery) -> list[Incident]:
        """Incidents matching `query`, newest first (by opened_at), one page."""
        return await self._read(reads.incidents, query)

    async def count_incidents(self, query: IncidentQuery) -> int:
        return await self._read(reads.count_incidents, query)

    async def messages(
        self, charger_id: str, limit: int = 50, before_id: int | None = None
    ) -> list[MessageRow]:
        """A charger's frames, newest first; `before_id` pages back from the last id seen."""
        return await self._read(reads.messages, charger_id, limit, before_id)

    async def status_events(
        self, charger_id: str, limit: int = 50, before_id: int | None = None
    ) -> list[StatusEventRow]:
        """A charger's status notifications as reported, newest first, paged like messages."""
        return await self._read(reads.status_events, charger_id, limit, before_id)

    async def status_changes(
        self, charger_id: str, since: datetime | None = None, limit: int = 500
    ) -> list[StatusChange]:
        """A charger's status changes at or after `since`, newest first."""
        return await self._read(reads.status_changes, charger_id, since, limit)

    async def connectivity(
        self, charger_id: str | None = None, since: datetime | None = None, limit: int = 500
    ) -> list[ConnectivityChange]:
        """Connectivity changes at or after `since`, newest first."""
        return await self._read(reads.connectivity, charger_id, since, limit)

    async def incident_actions(self, incident_ids: Sequence[str]) -> dict[str, list[Attempt]]:
        """Self-healing's actions on each of these incidents, oldest first."""
        if not incident_ids:
            return {}
        return await self._read(healing.for_incidents, incident_ids)

    async def load_state(self) -> StoredState:
        """Active incidents, connectors and chargers from one snapshot of the database."""
        return await self._read(_load_state)

    async def _read(self, query: Callable[..., T], *args: object) -> T:
        engine = self._read_engine
        if engine is None or self._closed:
            raise RuntimeError("The store is not open; call `await store.start()` first.")
        return await asyncio.to_thread(_run_read, engine, query, *args)


def _run_read(engine: Engine, query: Callable[..., T], *args: object) -> T:
    with engine.connect() as connection:
        return query(connection, *args)


def _load_state(connection: Connection) -> StoredState:
    if connection.dialect.name == "postgresql":
        # One snapshot for all three reads (SQLite's BEGIN gives that already).
        connection.execution_options(isolation_level="REPEATABLE READ")
    return StoredState(
        incidents=reads.active_incidents(connection),
        connectors=reads.connectors(connection),
        chargers=reads.chargers(connection),
    )
