"""`evfault check`: conformance of a charger's messages to OCPP and MREC, for people and CI."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from evfault.cli.settings_options import DEFAULT_DB, DbOpt
from evfault.conformance import check_lines
from evfault.conformance.render import print_report, to_json
from evfault.errors import UserError
from evfault.store.sql import open_store

FAILED = 1  # exit status when any rule failed; 2 (UserError) when the input cannot be read

SourceArg = Annotated[
    str,
    typer.Argument(help="A file of OCPP-J frames, one per line (a log prefix is fine), or - for "
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
    else:
        lines, where = read_lines(source), _name(source)
    report = check_lines(lines)
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


async def _stored_lines(db: str, charger_id: str) -> list[tuple[int, str]]:
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


def read_lines(source: str) -> Iterator[tuple[int, str]]:
    """(line number, text) from a file or standard input; unreadable input is a UserError."""
    text = _read_stdin() if source == "-" else _read_file(Path(source))
    return enumerate(text.splitlines(), start=1)


def _read_file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; give a file of OCPP-J frames or - for "
                        "standard input.") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give a file of OCPP-J frames.") from None
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror}).") from None
    return _decode(data, str(path))


def _read_stdin() -> str:
    return _decode(sys.stdin.buffer.read(), "standard input")


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{name} is not UTF-8 text; give OCPP-J frames as text, one per "
                        "line.") from None


def _name(source: str) -> str:
    return "standard input" if source == "-" else source
