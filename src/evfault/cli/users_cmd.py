"""`evfault users`: operator accounts and their API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evfault.auth.model import ApiToken, Role, User
from evfault.cli.chargers_cmd import (
    JsonOpt,
    PasswordStdin,
    actor,
    print_json,
    read_password,
    with_admin,
)
from evfault.cli.settings_options import DEFAULT_DB, DbOpt
from evfault.errors import UserError
from evfault.web.shapes import iso

users = typer.Typer(help="Operator accounts (viewer, operator, admin) and their API tokens.",
                    no_args_is_help=True)

Name = Annotated[str, typer.Argument(metavar="NAME", help="The user's login name.")]


def user_json(user: User) -> dict[str, object]:
    return {"id": user.id, "name": user.name, "role": user.role.value,
            "created_at": iso(user.created_at)}


def token_json(token: ApiToken) -> dict[str, object]:
    return {"id": token.id, "user": token.user_name, "label": token.label,
            "created_at": iso(token.created_at), "last_used_at": iso(token.last_used_at),
            "revoked_at": iso(token.revoked_at)}


def parse_role(value: str) -> Role:
    try:
        return Role.parse(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None


@users.command("add")
def add(
    name: Name,
    role: Annotated[str, typer.Option(help="viewer, operator or admin.")],
    password_stdin: PasswordStdin = False,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Add a user; without --password-stdin a password is made and printed once."""
    chosen = parse_role(role)
    password = read_password(password_stdin)
    created = with_admin(db, lambda admin: admin.add_user(actor(), name, chosen, password))
    assert created.user is not None
    if as_json:
        print_json({"user": user_json(created.user), "password": created.secret})
        return
    typer.echo(f"{name} added as {chosen.value}.")
    if created.secret:
        typer.echo(f"Password, shown this once: {created.secret}")


@users.command("list")
def list_(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Every user with their role."""
    found = with_admin(db, lambda admin: admin.users())
    if as_json:
        print_json({"users": [user_json(u) for u in found]})
        return
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("name", "role", "created"):
        table.add_column(column)
    for user in found:
        table.add_row(escape(user.name), user.role.value, iso(user.created_at) or "")
    Console(highlight=False).print(table)


@users.command("remove")
def remove(name: Name, db: DbOpt = DEFAULT_DB) -> None:
    """Remove a user; their sessions and API tokens stop working."""
    with_admin(db, lambda admin: admin.remove_user(actor(), name))
    typer.echo(f"{name} removed.")


@users.command("set-password")
def set_password(name: Name, password_stdin: PasswordStdin = False,
                 db: DbOpt = DEFAULT_DB) -> None:
    """Give a user a new password; their open sessions end."""
    if not password_stdin:
        raise UserError("Pipe the new password in with --password-stdin.")
    password = read_password(True)
    assert password is not None
    with_admin(db, lambda admin: admin.set_user_password(actor(), name, password))
    typer.echo(f"{name} has a new password.")


@users.command("token")
def token(
    name: Name,
    label: Annotated[str, typer.Option(help="What the token is for (shown in lists).")] = "",
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Make an API token for NAME, printed once (send it as `Authorization: Bearer …`)."""
    created = with_admin(db, lambda admin: admin.add_token(actor(), name, label))
    assert created.token is not None and created.secret is not None
    if as_json:
        print_json({"token": token_json(created.token), "secret": created.secret})
        return
    typer.echo(f"Token {created.token.id} for {name}, shown this once: {created.secret}")


@users.command("tokens")
def tokens(name: Annotated[str | None, typer.Argument(metavar="[NAME]")] = None,
           db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """API tokens (of one user, or all), without their secrets."""
    found = with_admin(db, lambda admin: admin.tokens(name))
    if as_json:
        print_json({"tokens": [token_json(t) for t in found]})
        return
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("id", "user", "label", "created", "last used", "revoked"):
        table.add_column(column)
    for t in found:
        table.add_row(str(t.id), escape(t.user_name), escape(t.label),
                      iso(t.created_at) or "", iso(t.last_used_at) or "—",
                      iso(t.revoked_at) or "—")
    Console(highlight=False).print(table)


@users.command("revoke-token")
def revoke_token(token_id: Annotated[int, typer.Argument(metavar="ID")],
                 db: DbOpt = DEFAULT_DB) -> None:
    """Revoke an API token: it stops working within seconds on every node."""
    revoked = with_admin(db, lambda admin: admin.revoke_token(actor(), token_id))
    typer.echo(f"Token {revoked.id} of {revoked.user_name} revoked.")


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
