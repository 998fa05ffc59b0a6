"""`evfault chargers`: the charger registry (users_cmd.py does the operator accounts).

They work on the database directly (`--db`), with or without a server running: a running
server picks registry changes up within seconds, and logins and tokens at once.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evfault.auth.admin import Admin, Created
from evfault.auth.model import ChargerEntry
from evfault.auth.shapes import created_json, entry_json
from evfault.cli import db_errors
from evfault.cli.settings_options import DEFAULT_DB, DbOpt
from evfault.context import utc_now
from evfault.errors import UserError
from evfault.ocpp.admission import Registration
from evfault.store.trust_store import TrustStore

T = TypeVar("T")

chargers = typer.Typer(help="The charger registry: who may connect, with which credentials.",
                       no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text for people.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input.")]
Generate = Annotated[bool, typer.Option(
    "--generate-password", help="Make a random password and print it once.")]


def actor() -> str:
    """Who the audit log names for a change made from this shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (a bare container)
        return "cli"


def with_admin(db: str, work: Callable[[Admin], Awaitable[T]]) -> T:
    """Run `work` against the database's trust tables (migrated first if need be)."""

    async def main() -> T:
        try:
            store = TrustStore(db)
        except ValueError as exc:  # an unusable database URL
            raise UserError(str(exc)) from None
        try:
            await store.start()
        except Exception as exc:
            if db_errors.is_database_error(exc):
                raise UserError(db_errors.sentence(exc, db)) from None
            raise
        try:
            return await work(Admin(store, utc_now))
        finally:
            await store.close()

    return asyncio.run(main())


def read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UserError("--password-stdin read an empty line; pipe the password in.")
    return line


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def show_created(created: Created, as_json: bool, what: str) -> None:
    if as_json:
        print_json(created_json(created))
        return
    typer.echo(what)
    if created.secret:
        typer.echo(f"Its password, shown this once (evfault keeps only a hash): {created.secret}")


# ---- chargers -------------------------------------------------------------------------------


@chargers.command("add")
def add(
    charger_id: Annotated[str, typer.Argument(metavar="ID", help="The charge point id.")],
    password_stdin: PasswordStdin = False,
    generate_password: Generate = False,
    profile: Annotated[int, typer.Option(
        min=0, max=3, help="OCPP security profile: 0 none, 1 password, 2 password over TLS, "
                           "3 client certificate.")] = 1,
    certificate_identity: Annotated[str | None, typer.Option(
        help="Profile 3: the identity (CN) of the charger's client certificate.")] = None,
    pending: Annotated[bool, typer.Option(
        help="List it for approval instead of accepting it at once.")] = False,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Register a charger; its next connection must prove it is this charger."""
    if password_stdin and generate_password:
        raise UserError("Choose --password-stdin or --generate-password, not both.")
    password = read_password(password_stdin)
    state = Registration.PENDING if pending else Registration.ACCEPTED
    created = with_admin(db, lambda admin: admin.add_charger(
        actor(), charger_id, profile=profile, password=password, generate=generate_password,
        certificate_identity=certificate_identity, state=state))
    assert created.entry is not None
    show_created(created, as_json, f"{charger_id} added (profile {profile}, {state.value}).")


@chargers.command("list")
def list_(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Every registered charger, with its state, profile and when it was last seen."""
    entries = with_admin(db, lambda admin: admin.chargers())
    if as_json:
        print_json({"chargers": [entry_json(e) for e in entries]})
        return
    Console(highlight=False).print(registry_table(entries))


def registry_table(entries: list[ChargerEntry]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("id", "state", "profile", "credentials", "last seen", "from"):
        table.add_column(column)
    for e in entries:
        credentials = "password" if e.password_hash else (e.certificate_identity or "—")
        seen = e.last_seen.strftime("%Y-%m-%d %H:%M:%S UTC") if e.last_seen else "never"
        table.add_row(escape(e.charger_id), e.state.value, str(e.profile), escape(credentials),
                      seen, escape(e.last_address or "—"))
    return table


def _set_state(charger_id: str, state: Registration, db: str, as_json: bool) -> None:
    entry = with_admin(db, lambda admin: admin.set_state(actor(), charger_id, state))
    if as_json:
        print_json(entry_json(entry))
    else:
        typer.echo(f"{charger_id} is now {state.value}.")


@chargers.command("approve")
def approve(charger_id: Annotated[str, typer.Argument(metavar="ID")],
            db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Accept a charger: its next BootNotification is answered Accepted."""
    _set_state(charger_id, Registration.ACCEPTED, db, as_json)


@chargers.command("reject")
def reject(charger_id: Annotated[str, typer.Argument(metavar="ID")],
           db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Reject a charger: it is disconnected and refused from now on."""
    _set_state(charger_id, Registration.REJECTED, db, as_json)


@chargers.command("set-password")
def set_password(
    charger_id: Annotated[str, typer.Argument(metavar="ID")],
    password_stdin: PasswordStdin = False,
    generate_password: Generate = False,
    profile: Annotated[int | None, typer.Option(
        min=1, max=2, help="Also switch it to profile 1 or 2.")] = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Give a charger a new password (rotation): the old one stops working at once."""
    if password_stdin == generate_password:
        raise UserError("Choose one of --password-stdin or --generate-password.")
    password = read_password(password_stdin)
    created = with_admin(db, lambda admin: admin.set_charger_password(
        actor(), charger_id, password=password, generate=generate_password, profile=profile))
    show_created(created, as_json, f"{charger_id} has a new password.")


def register(app: typer.Typer) -> None:
    app.add_typer(chargers, name="chargers")
