"""Schema migrations, run by evfault itself at start (no alembic.ini needed).

    python -m evfault.store.migrate upgrade URL      # what `evfault serve` does at start
    python -m evfault.store.migrate current URL      # the revision a database is at
    python -m evfault.store.migrate revision URL -m "add x"   # draft a migration (developers)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from evfault.store.engines import writer_engine
from evfault.store.urls import normalise_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number: nodes starting together on one PostgreSQL take turns migrating.
_PG_LOCK_KEY = 0x65766661756C74  # "evfault"


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration built in code, migrating over `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision, in one transaction (a no-op when it is)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def next_revision_id() -> str:
    """Revisions are numbered 0001, 0002, … so that their order shows in the file list."""
    from alembic.script import ScriptDirectory

    return f"{len(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions())) + 1:04d}"


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        engine = writer_engine(normalise_url(args.url))
    except ValueError as exc:
        parser.exit(2, f"{exc}\n")
    try:
        if args.command == "upgrade":
            upgrade(engine)
            print(current_revision(engine))
        elif args.command == "current":
            print(current_revision(engine))
        else:
            with engine.begin() as connection:
                command.revision(alembic_config(connection), message=args.message,
                                 autogenerate=True, rev_id=next_revision_id())
    finally:
        engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evfault.store.migrate")
    parser.add_argument("command", choices=("upgrade", "current", "revision"))
    parser.add_argument("url", help="sqlite:///path.db or postgresql://user@host/dbname")
    parser.add_argument("-m", "--message", default="change", help="revision message")
    return parser


if __name__ == "__main__":
    main()
