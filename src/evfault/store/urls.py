"""Database URLs as people write them, turned into the ones SQLAlchemy should use."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_EXAMPLES = "use sqlite:///path/to/evfault.db or postgresql://user@host/dbname"
_SQLITE = {"sqlite", "sqlite+pysqlite"}
_POSTGRES = {"postgresql", "postgres", "postgresql+psycopg"}


def normalise_url(url: str) -> URL:
    """The SQLAlchemy URL for a supported database URL; ValueError saying why otherwise."""
    parsed = _parse(url)
    if parsed.drivername in _SQLITE:
        return _sqlite(parsed, url)
    if parsed.drivername in _POSTGRES:
        # Query parameters (e.g. options=-csearch_path%3Dtenant) pass through to psycopg.
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"Unsupported database URL {_shown(parsed)!r}: {_EXAMPLES}.")


def backend(url: URL) -> str:
    """"sqlite" or "postgresql"."""
    return url.get_backend_name()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise ValueError(f"Could not read {url!r} as a database URL: {_EXAMPLES}.") from None


def _sqlite(parsed: URL, given: str) -> URL:
    path = parsed.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        raise ValueError(
            f"The database URL {given!r} names no file; evfault keeps its data in a file: "
            f"{_EXAMPLES}."
        )
    file = Path(path).expanduser()
    folder = file.resolve().parent
    if not folder.is_dir():
        raise ValueError(
            f"The folder {str(folder)!r} for the SQLite database does not exist; "
            "create it or choose another path."
        )
    return parsed.set(drivername="sqlite", database=str(file))


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)
