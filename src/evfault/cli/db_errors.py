"""A database that cannot be used, said in one sentence (and without its password)."""

from __future__ import annotations


def redact(url: str) -> str:
    """A database URL without its password, safe to print."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


def reason(exc: BaseException) -> str:
    """The driver's own reason (psycopg's 'Connection refused'), without SQLAlchemy's wrapping."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    return (text.splitlines()[0] if text else type(cause).__name__).rstrip(".")


def is_database_error(exc: BaseException) -> bool:
    """SQLAlchemy's errors, told apart without importing SQLAlchemy (most commands never do)."""
    return type(exc).__module__.startswith("sqlalchemy.")


def sentence(exc: BaseException, url: str | None = None) -> str:
    where = f"the database {redact(url)}" if url else "the database"
    return f"cannot open {where} ({reason(exc)}); check that it runs and that --db is right."
