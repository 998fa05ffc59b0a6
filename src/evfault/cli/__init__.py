"""The `evfault` command line. Each command lives in its own module and registers itself."""

from __future__ import annotations

import importlib
import sys

import typer

from evfault.errors import UserError

app = typer.Typer(
    name="evfault",
    help="Turn EV-charger error codes into something people can act on.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that define commands; each has `register(app)`.
COMMAND_MODULES: tuple[str, ...] = ()


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"evfault.cli.{name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a UserError becomes one sentence on stderr and a non-zero exit."""
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except UserError as exc:
        print(f"evfault: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
