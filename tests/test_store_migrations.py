"""Migrations: the migrated schema is exactly the declared one, and starting twice is harmless."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, String, inspect

from evfault.store import schema
from evfault.store.engines import writer_engine
from evfault.store.migrate import MIGRATIONS, alembic_config, current_revision, main, upgrade
from evfault.store.model import MessageRow, WriteBatch
from evfault.store.sql import open_store
from evfault.store.urls import normalise_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    made = writer_engine(normalise_url(db_url))
    yield made
    made.dispose()


def differences(engine: Engine, metadata: MetaData) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_metadata(engine: Engine) -> None:
    upgrade(engine)
    assert differences(engine, schema.metadata) == []


def test_the_comparison_would_see_a_difference(engine: Engine) -> None:
    upgrade(engine)
    changed = MetaData()
    for table in schema.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["chargers"].append_column(Column("site", String))
    found = differences(engine, changed)
    assert [(d[0], d[3].name) for d in found] == [("add_column", "site")]


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    tables = set(inspect(engine).get_table_names())
    assert set(schema.metadata.tables) | {"alembic_version"} == tables


async def test_starting_the_store_twice_keeps_the_data(db_url: str) -> None:
    async with open_store(db_url) as store:
        await store.write(WriteBatch(messages=[MessageRow("CP1", "in", datetime.now(UTC), "x")]))
    async with open_store(db_url) as store:
        assert [m.raw for m in await store.messages("CP1")] == ["x"]


def test_migrations_form_one_line_and_ship_with_the_package() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert len(scripts.get_heads()) == 1
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()
    assert "store/migrations/**/*" in (
        Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()


def test_config_is_built_in_code(engine: Engine) -> None:
    with engine.connect() as connection:
        config = alembic_config(connection)
    assert config.config_file_name is None
    assert config.get_main_option("script_location") == str(MIGRATIONS)


def test_the_migrate_command_upgrades_and_reports(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["upgrade", sqlite_url])
    main(["current", sqlite_url])
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert capsys.readouterr().out.split() == [head, head]


def test_the_migrate_command_refuses_a_bad_url_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["upgrade", "mysql://root@db/evfault"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().startswith("Unsupported database URL")
