"""Engines for the writer (one connection) and for readers (a pool), per backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL

SYNCHRONOUS_MODES = ("FULL", "NORMAL")
BUSY_TIMEOUT_MS = 10_000
# Pages the WAL may hold before a commit copies them back into the database file. SQLite's
# default, 1,000 pages, is less than two of the server's group commits under load (each dirties
# the index leaves of every charger in it), so every other commit also checkpointed: with
# 10,000 a commit took a third less time on average (3.1 → 2.0 ms, groups replayed from
# benchmarks/server_load.py), at the price of a WAL file of up to ~40 MB.
WAL_AUTOCHECKPOINT_PAGES = 10_000


def writer_engine(url: URL, synchronous: str = "FULL") -> Engine:
    """The engine behind the single writer thread: a pool of exactly one connection."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, synchronous, begin="BEGIN IMMEDIATE", pool_size=1)
    # pre_ping: the writer may sit idle for hours; a dropped connection is replaced, not fatal.
    return create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)


def reader_engine(url: URL, pool_size: int = 8) -> Engine:
    """The engine for reads, which run in worker threads alongside the writer."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, "NORMAL", begin="BEGIN", pool_size=pool_size,
                              max_overflow=pool_size)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_engine(
    url: URL, synchronous: str, begin: str, pool_size: int, max_overflow: int = 0
) -> Engine:
    if synchronous not in SYNCHRONOUS_MODES:
        raise ValueError(f"SQLite synchronous mode must be FULL or NORMAL, not {synchronous!r}.")
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"check_same_thread": False},
    )
    pragmas = (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}",
        # FULL: every commit is on disk before write() returns, even across power loss.
        # NORMAL: a power cut may lose the last commits (never corrupts); a crash of the
        # process alone loses nothing.
        f"PRAGMA synchronous={synchronous}",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The sqlite3 module's own transaction handling skips BEGIN before SELECT and DDL, so a
        # read is not a snapshot and a migration is not atomic; SQLAlchemy emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The writer takes the write lock up front (IMMEDIATE): with a deferred BEGIN a
        # transaction that started reading could fail to upgrade to writing under contention.
        connection.exec_driver_sql(begin)

    return engine
