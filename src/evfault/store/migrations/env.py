"""Alembic environment: migrations run on the connection evfault hands over (see migrate.py)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from evfault.store.schema import UtcDateTime, metadata

# How a new migration spells a timestamp column: plain SQLAlchemy, as in 0001_initial.py.
PLAIN_TIMESTAMP = 'sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")'


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations must not import evfault's types, which may change after they are written."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return PLAIN_TIMESTAMP
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError(
        "evfault runs its migrations itself: call evfault.store.migrate.upgrade(url) "
        "or `python -m evfault.store.migrate upgrade URL`, not the alembic command."
    )
run_migrations(_connection)
