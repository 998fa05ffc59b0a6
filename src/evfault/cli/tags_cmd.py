"""`evfault tags`: the RFID idTag allow-list, straight in the database (as `evfault chargers`).

A running server picks a change up within seconds (it reloads the list); through the API
(PUT /api/v1/id-tags/{tag}) a change applies at once on the node that took it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer

from evfault.auth.tag_list import TagList
from evfault.auth.tags import TagBook, TagEntry
from evfault.cli.chargers_cmd import JsonOpt, actor, print_json
from evfault.cli.settings_options import DEFAULT_DB, DbOpt
from evfault.context import utc_now
from evfault.errors import UserError
from evfault.store.times import as_utc
from evfault.store.trust_store import TrustStore
from evfault.web.tags_api import tag_json

T = TypeVar("T")

tags = typer.Typer(help="The RFID idTag allow-list: who may charge (with expiry and parent "
                        "tags).", no_args_is_help=True)

Tag = Annotated[str, typer.Argument(metavar="TAG", help="The idTag (1.6) or idToken (2.0.1).")]


def _run(db: str, work: Callable[[TagList], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            store = TrustStore(db)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        await store.start()
        try:
            return await work(TagList(store, TagBook(), utc_now))
        finally:
            await store.close()

    return asyncio.run(main())


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise UserError(f"--expires must be an ISO 8601 time such as 2027-01-01T00:00:00Z, "
                        f"not {value!r}.") from None


@tags.command("add")
def add(
    tag: Tag,
    parent: Annotated[str | None, typer.Option(help="Its parent tag (blocked or expired "
                                                    "with it).")] = None,
    expires: Annotated[str | None, typer.Option(help="When it stops working (ISO 8601).")
                       ] = None,
    blocked: Annotated[bool, typer.Option("--blocked", help="Listed, but refused.")] = False,
    note: Annotated[str | None, typer.Option(help="Whose card it is (for people).")] = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """List a tag, or change a listed one."""
    entry = TagEntry(tag, parent, _when(expires), blocked, note)
    stored = _run(db, lambda tags_: tags_.put(actor(), entry))
    if as_json:
        print_json(tag_json(stored))
    else:
        typer.echo(f"{stored.id_tag} listed" + (" (blocked)" if stored.blocked else ""))


@tags.command("list")
def list_(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Every listed tag."""
    entries = _run(db, lambda tags_: tags_.entries())
    if as_json:
        print_json({"tags": [tag_json(e) for e in entries]})
        return
    for e in entries:
        extra = [f"parent {e.parent}" if e.parent else "",
                 f"expires {e.expires_at.isoformat()}" if e.expires_at else "",
                 "blocked" if e.blocked else "", e.note or ""]
        typer.echo("  ".join([e.id_tag, *[x for x in extra if x]]))


@tags.command("remove")
def remove(tag: Tag, db: DbOpt = DEFAULT_DB) -> None:
    """Take a tag off the list (it is then an unknown tag)."""
    _run(db, lambda tags_: tags_.remove(actor(), tag))
    typer.echo(f"{tag} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(tags, name="tags")
