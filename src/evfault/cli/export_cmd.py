"""`evfault export --db URL [--out FILE] [--since] [--until]`: the stored message log as a file
`evfault analyze` reads (JSON Lines; gzip when FILE ends in .gz).

The first line names the format and each charger's OCPP version; then, in time order, one line
per frame (`{"at", "charger", "dir", "frame"}`) and one per connectivity change the server
recorded (`{"at", "charger", "online", "reason"}`); operators' outage exclusions come first
(`{"outage", "reason", "notes"}`). Rows are streamed from the database, so a
log of any size exports in constant memory.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import orjson
import typer
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from evfault.cli.settings_options import DEFAULT_DB, DbOpt, checked_db
from evfault.errors import UserError
from evfault.logs.formats import EXPORT_FORMAT
from evfault.store import history
from evfault.store.engines import reader_engine
from evfault.store.exclusions import exclusions
from evfault.store.urls import normalise_url

OutOpt = Annotated[str, typer.Option("--out", "-o", help="Where to write (.gz compresses); "
                                     "- for standard output.")]
WhenOpt = Annotated[str | None, typer.Option(help="A time like 2026-07-01 or "
                                             "2026-07-01T08:00:00Z (UTC unless a zone is given).")]


def register(app: typer.Typer) -> None:
    if any(c.name == "export" for c in app.registered_commands):
        return
    app.command("export")(export_command)


def export_command(db: DbOpt = DEFAULT_DB, out: OutOpt = "-", since: WhenOpt = None,
                   until: WhenOpt = None) -> None:
    """Write the server's stored message log as a file `evfault analyze` reads."""
    from evfault.cli.analyze_cmd import when

    start, end = when(since, "--since"), when(until, "--until")
    try:
        url = normalise_url(checked_db(db))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        raise UserError(f"There is no database at {db}; give the URL `evfault serve` used.")
    engine = reader_engine(url, pool_size=1)
    try:
        with engine.connect() as connection, _output(out) as stream:
            written = write_export(connection, stream, start, end)
    except SQLAlchemyError as exc:
        raise UserError(f"Cannot read the message log at {db} ({exc.__class__.__name__}); "
                        "is it a database `evfault serve` wrote?") from None
    finally:
        engine.dispose()
    if out != "-":
        typer.echo(f"evfault: wrote {written} lines to {out}", err=True)


def write_export(connection: Connection, stream: TextIO, since: datetime | None,
                 until: datetime | None) -> int:
    """Write the header and every row; returns the number of lines written."""
    header = {"format": EXPORT_FORMAT, "version": 1,
              "chargers": history.protocols(connection)}
    stream.write(orjson.dumps(header).decode() + "\n")
    count = 1
    for outage_id, excluded in exclusions(connection).items():
        stream.write(orjson.dumps({"outage": outage_id, "reason": excluded.reason,
                                   "notes": excluded.notes}).decode() + "\n")
        count += 1
    for at, _, row in history.log_rows(connection, since, until):
        stream.write(orjson.dumps({"at": at, **row}).decode() + "\n")
        count += 1
    return count


@contextmanager
def _output(out: str) -> Iterator[TextIO]:
    if out == "-":
        yield sys.stdout
        return
    path = Path(out)
    if not path.parent.is_dir():
        raise UserError(f"The folder {path.parent} does not exist; create it or write "
                        "elsewhere.")
    with _open_text(path) as handle:
        yield handle


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8")
    return path.open("w", encoding="utf-8")
