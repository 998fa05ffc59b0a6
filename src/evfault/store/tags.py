"""The idTag allow-list as blocking queries (run in a thread by the side store)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select

from evfault.auth.tags import TagEntry
from evfault.store import schema
from evfault.store.registry import upsert

_t = schema.id_tags


def _entry(row: Row[Any]) -> TagEntry:
    return TagEntry(id_tag=row.id_tag, parent=row.parent, expires_at=row.expires_at,
                    blocked=bool(row.blocked), note=row.note, created_at=row.created_at,
                    updated_at=row.updated_at)


def tags(connection: Connection) -> list[TagEntry]:
    return [_entry(row) for row in connection.execute(select(_t).order_by(_t.c.id_tag))]


def put(connection: Connection, entry: TagEntry, at: datetime) -> TagEntry:
    """Add the tag or change it; the stored entry."""
    values = {"parent": entry.parent, "expires_at": entry.expires_at, "blocked": entry.blocked,
              "note": entry.note, "updated_at": at}
    connection.execute(upsert(connection, _t).values(id_tag=entry.id_tag, created_at=at,
                                                     **values)
                       .on_conflict_do_update(index_elements=["id_tag"], set_=values))
    row = connection.execute(select(_t).where(_t.c.id_tag == entry.id_tag)).one()
    return _entry(row)


def remove(connection: Connection, id_tag: str) -> bool:
    return bool(connection.execute(delete(_t).where(_t.c.id_tag == id_tag)).rowcount)
