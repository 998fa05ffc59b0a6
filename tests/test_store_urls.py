"""Database URLs: the supported ones are normalised, the others refused in one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from evfault.store.engines import reader_engine, writer_engine
from evfault.store.sql import open_store
from evfault.store.urls import normalise_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db.example:5432/evfault", "postgresql+psycopg://u@db.example:5432/evfault"),
        ("postgres://u@db/evfault", "postgresql+psycopg://u@db/evfault"),
        ("postgresql+psycopg://u@db/evfault", "postgresql+psycopg://u@db/evfault"),
        ("postgresql://u@db/evfault?options=-csearch_path%3Dtenant&sslmode=require",
         "postgresql+psycopg://u@db/evfault?options=-csearch_path%3Dtenant&sslmode=require"),
    ],
)
def test_postgres_urls_use_psycopg_and_keep_their_parameters(given: str, expected: str) -> None:
    url = normalise_url(given)
    assert url.render_as_string(hide_password=False) == expected
    assert url.get_backend_name() == "postgresql"


def test_sqlite_url_keeps_the_file(tmp_path: Path) -> None:
    url = normalise_url(f"sqlite:///{tmp_path}/evfault.db")
    assert (url.drivername, url.database) == ("sqlite", f"{tmp_path}/evfault.db")


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("mysql://root@localhost/evfault", "Unsupported database URL 'mysql://root@localhost/"),
        ("postgresql+asyncpg://u@db/x", "Unsupported database URL"),
        ("evfault.db", "Could not read 'evfault.db' as a database URL"),
        ("sqlite:///:memory:", "names no file"),
        ("sqlite://", "names no file"),
        ("sqlite:////no/such/folder/evfault.db", "'/no/such/folder' for the SQLite database "
                                                 "does not exist"),
    ],
)
def test_unsupported_urls_are_refused_in_one_sentence(given: str, says: str) -> None:
    with pytest.raises(ValueError) as refused:
        open_store(given)
    message = str(refused.value)
    assert says in message
    assert message.endswith(".") and message.count(". ") == 0 and "\n" not in message


def test_a_refused_url_does_not_show_its_password() -> None:
    with pytest.raises(ValueError) as refused:
        normalise_url("mysql://admin:hunter2@db/evfault")
    assert "hunter2" not in str(refused.value) and "***" in str(refused.value)


@pytest.mark.parametrize(("synchronous", "level"), [("FULL", 2), ("NORMAL", 1)])
def test_sqlite_writer_is_durable_wal_with_foreign_keys(
    sqlite_url: str, synchronous: str, level: int
) -> None:
    engine = writer_engine(normalise_url(sqlite_url), synchronous)
    with engine.connect() as connection:
        pragmas = {name: connection.execute(text(f"PRAGMA {name}")).scalar_one()
                   for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")}
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": level,
                       "busy_timeout": 10_000}


def test_sqlite_readers_wait_for_locks_too(sqlite_url: str) -> None:
    engine = reader_engine(normalise_url(sqlite_url))
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 10_000
    engine.dispose()


def test_unknown_synchronous_mode_is_refused(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        writer_engine(normalise_url(sqlite_url), "OFF")
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        open_store(sqlite_url, synchronous="off")
