"""The idTag allow-list, running: kept in the database, held in memory for the OCPP handlers.

Operators change it through the API (or `evfault tags`); each change is audited and reaches the
handlers of this node at once, and of other nodes on the same database within REFRESH_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from evfault.auth.admin import audited
from evfault.auth.model import AuditEntry
from evfault.auth.tags import TagBook, TagEntry, tag_problem
from evfault.errors import UserError
from evfault.store import tags as rows
from evfault.store.trust_store import TrustStore

log = logging.getLogger("evfault.auth")

REFRESH_S = 10.0


class TagList:
    """The allow-list's store and the in-memory book the handlers read."""

    def __init__(self, store: TrustStore, book: TagBook, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.book = book
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._refresh_forever(), name="evfault-tags")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def reload(self) -> None:
        self.book.replace_all(await self.store.read(rows.tags))

    async def entries(self) -> list[TagEntry]:
        return await self.store.read(rows.tags)

    async def put(self, actor: str, entry: TagEntry) -> TagEntry:
        """Add or change a tag (audited); the handlers answer by it from now on."""
        for tag in (entry.id_tag, entry.parent):
            problem = tag_problem(tag) if tag is not None else None
            if problem:
                raise UserError(f"Cannot list {tag!r}: {problem}.")
        if entry.parent == entry.id_tag:
            raise UserError("A tag cannot be its own parent.")
        at = self.clock()
        detail = ", ".join(filter(None, [
            f"parent {entry.parent}" if entry.parent else None,
            f"expires {entry.expires_at.isoformat()}" if entry.expires_at else None,
            "blocked" if entry.blocked else None])) or None
        stored: TagEntry = await self.store.write(audited(
            AuditEntry(at, actor, "tag.put", entry.id_tag, detail), rows.put, entry, at))
        self.book.put(stored)
        return stored

    async def remove(self, actor: str, id_tag: str) -> None:
        removed = await self.store.write(audited(
            AuditEntry(self.clock(), actor, "tag.remove", id_tag), rows.remove, id_tag))
        if not removed:
            raise UserError(f"{id_tag!r} is not on the list.", exit_code=1)
        self.book.remove(id_tag)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            try:
                await self.reload()
            except Exception:  # the database may be away for a moment; try again later
                log.exception("reloading the idTag list failed")
