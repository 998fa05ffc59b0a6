"""Shared fixtures: the seed samples, database URLs (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server_support import FAST

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"

PG_URL = os.environ.get("EVFAULT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"),
                             connect_timeout=30):  # a busy machine answers slowly
            return None
    except Exception as exc:
        return f"no PostgreSQL at {PG_URL} ({exc.__class__.__name__}: {str(exc).strip()[:120]})"


_PG_PROBLEM = _pg_problem()


def require_postgres() -> None:
    """Skip (with the reason) where there is no PostgreSQL; in CI its absence is a failure."""
    if _PG_PROBLEM is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but {_PG_PROBLEM}")
    pytest.skip(f"PostgreSQL tests skipped: {_PG_PROBLEM}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh, empty schema of its own (dropped afterwards)."""
    require_postgres()
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'evfault.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evfault.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest cost in tests: the same code, hashes made in a millisecond.

    (tests/test_auth_passwords.py checks the cost the product uses.)
    """
    from argon2 import PasswordHasher

    from evfault.auth import passwords

    quick = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", lambda: quick)


# ---- a real evfault server on port 0, in the test's event loop (settings: server_support) --

@pytest.fixture
async def start_server(db_url: str) -> Any:
    """Start evfault servers (SQLite and PostgreSQL runs) with short timers; stop them after."""
    from evfault.server import Server
    from evfault.settings import Settings

    servers: list[Server] = []

    async def start(**overrides: Any) -> Server:
        settings = Settings(**{"db": db_url, **FAST, **overrides})
        server = Server(settings)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
