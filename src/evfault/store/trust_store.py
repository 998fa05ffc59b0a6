"""The trust tables' own connections: registry, refusals, users, tokens, audit log, secrets.

Kept apart from the charger store's group writer, whose batches hold charger traffic only:
these writes are rare (an operator's approval, a periodic flush of refusal counts) and each is
one short transaction on a connection of their own. Both run in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from evfault.store.engines import reader_engine, writer_engine
from evfault.store.migrate import upgrade
from evfault.store.urls import normalise_url

T = TypeVar("T")


class TrustStore:
    """Runs the query functions of store/registry.py and store/accounts.py."""

    def __init__(self, url: str) -> None:
        self._url = normalise_url(url)
        self._write_engine: Engine | None = None
        self._read_engine: Engine | None = None

    @property
    def backend(self) -> str:
        return self._url.get_backend_name()

    async def start(self) -> None:
        """Bring the schema up to date (a no-op when the server's store did) and connect."""
        await asyncio.to_thread(self._start_blocking)

    def _start_blocking(self) -> None:
        engine = writer_engine(self._url)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        self._write_engine = engine
        self._read_engine = reader_engine(self._url, pool_size=2)

    async def close(self) -> None:
        engines = [e for e in (self._write_engine, self._read_engine) if e is not None]
        self._write_engine = self._read_engine = None
        await asyncio.to_thread(_dispose, engines)

    async def read(self, query: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self._run, self._read_engine, False, query, *args)

    async def write(self, change: Callable[..., T], *args: Any) -> T:
        """Run `change` in one transaction of its own, committed before this returns."""
        return await asyncio.to_thread(self._run, self._write_engine, True, change, *args)

    @staticmethod
    def _run(engine: Engine | None, commit: bool, fn: Callable[..., T], *args: Any) -> T:
        if engine is None:
            raise RuntimeError("The trust store is not open; call `await start()` first.")
        connection: Connection
        if commit:
            with engine.begin() as connection:
                return fn(connection, *args)
        with engine.connect() as connection:
            return fn(connection, *args)


def _dispose(engines: list[Engine]) -> None:
    for engine in engines:
        engine.dispose()
