"""The `evfault` command line. Each command lives in its own module and registers itself."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from evfault.errors import UserError


class _Group(TyperGroup):
    """Every command's UserError becomes one sentence on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            typer.echo(f"evfault: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    name="evfault",
    cls=_Group,
    help="Turn EV-charger error codes into something people can act on.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain Click help: it wraps to any width, and "[default: …]" is text, not Rich markup.
    rich_markup_mode=None,
)

def _show_version(asked: bool) -> None:
    if asked:
        try:
            number = installed_version("evfault")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown"
        typer.echo(f"evfault {number}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=_show_version)] = False,
) -> None:
    """Turn EV-charger error codes into something people can act on."""


# Modules that define commands; each has `register(app)`.
COMMAND_MODULES: tuple[str, ...] = (
    "serve_cmd", "demo_cmd", "catalog_cmds", "sim_cmd", "check_cmd", "decode_cmd",
    "chargers_cmd", "users_cmd", "scan_cmd", "analyze_cmd", "export_cmd", "command_cmd",
)


_registered: list[str] = []


def _register() -> None:
    """Add every command to `app` (once, however often it is called)."""
    for name in COMMAND_MODULES:
        if name not in _registered:
            importlib.import_module(f"evfault.cli.{name}").register(app)
            _registered.append(name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a UserError becomes one sentence on stderr and a non-zero exit."""
    try:
        _register()
        app(args=argv, prog_name="evfault", standalone_mode=True)
    except UserError as exc:
        print(f"evfault: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
