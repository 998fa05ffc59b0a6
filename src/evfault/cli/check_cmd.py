"""`evfault check`: conformance of a charger's messages to OCPP and MREC, for people and CI."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from evfault.cli.inputs import open_messages
from evfault.cli.settings_options import DEFAULT_DB, DbOpt
from evfault.conformance import check_lines
from evfault.conformance.render import print_report, to_json
from evfault.errors import UserError
from evfault.store.sql import open_store
from evfault.store.urls import backend, normalise_url

FAILED = 1  # exit status when any rule failed; 2 (UserError) when the input cannot be read

SourceArg = Annotated[
    str,
    typer.Argument(help="A file of OCPP-J frames: one per line (a log prefix is fine), "
                   "pretty-printed over several lines, or a JSON array of them (.gz too); - for "
                   "standard input.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
AllOpt = Annotated[
    bool, typer.Option("--all", help="List passing findings too, not only problems.")
]
ChargerOpt = Annotated[
    str | None,
    typer.Option("--charger", help="Check what this charger sent, from the server's stored "
                 "message log (instead of a file).", show_default=False),
]


def register(app: typer.Typer) -> None:
    """Add `check` to the app (once, however often it is called)."""
    if any(c.name == "check" for c in app.registered_commands):
        return
    app.command("check")(check)


def check(source: SourceArg = "-", json: JsonOpt = False, all_findings: AllOpt = False,
          charger: ChargerOpt = None, db: DbOpt = DEFAULT_DB) -> None:
    """Check a charger's messages against OCPP 1.6 / 2.0.1 and MREC; exit 1 if any rule fails.

    Every rule has a stable id; `--json` gives the findings per message and a summary per rule
    for programs (a charger maker's CI, for one). With --charger, the messages come from the
    server's stored log, numbered by their row id in it.
    """
    lines: Iterable[tuple[int, str]]
    if charger is not None:
        lines = stored_lines(db, charger)
        where = f"the message log of {charger}"
        report = check_lines(lines)
    else:
        where = _name(source)
        with open_messages(source) as found:
            report = check_lines(found)
    if report.messages == 0:
        raise UserError(f"{where} holds no OCPP-J frames; give one frame per line.")
    if json:
        typer.echo(to_json(report))
    else:
        print_report(report, Console(), show_passes=all_findings)
    if report.failed:
        raise typer.Exit(FAILED)


def stored_lines(db: str, charger_id: str) -> list[tuple[int, str]]:
    """What one charger sent, oldest first, from the server's database (row id, raw frame)."""
    try:
        return asyncio.run(_stored_lines(db, charger_id))
    except ValueError as exc:  # an unusable database URL
        raise UserError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise UserError(f"cannot read the message log at {db} "
                        f"({exc.__class__.__name__}).") from None


def _missing_sqlite_file(db: str) -> Path | None:
    """The file an SQLite URL names, when it does not exist: reading must not create it."""
    url = normalise_url(db)
    if backend(url) != "sqlite" or not url.database:
        return None
    file = Path(url.database)
    return None if file.exists() else file


async def _stored_lines(db: str, charger_id: str) -> list[tuple[int, str]]:
    missing = _missing_sqlite_file(db)
    if missing is not None:
        raise UserError(f"There is no database at {missing}; give the server's one with --db "
                        "(or EVFAULT_DB), or check a file of frames instead.")
    store = open_store(db)
    await store.start()
    try:
        if await store.charger(charger_id) is None:
            raise UserError(f"{db} has no charger {charger_id!r}; `evfault serve` records "
                            "chargers when they connect.")
        rows: list[tuple[int, str]] = []
        before: int | None = None
        while page := await store.messages(charger_id, limit=5000, before_id=before):
            rows.extend((r.id or 0, r.raw) for r in page if r.direction == "in")
            before = page[-1].id
        return sorted(rows)
    finally:
        await store.close()


def _name(source: str) -> str:
    return "standard input" if source == "-" else source
