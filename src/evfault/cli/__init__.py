"""The `evfault` command line. Each command lives in its own module and registers itself."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from evfault.cli import db_errors
from evfault.errors import UserError


class _Group(TyperGroup):
    """Commands load on first use; a UserError becomes one sentence, a closed pipe exit 0.

    Only the module of the command being run is imported: `evfault explain F001` need not
    load SQLAlchemy, Alembic and the web stack that `serve` needs (benchmarks/cli_startup.py).
    """

    def list_commands(self, ctx: Any) -> list[str]:
        listed = list(super().list_commands(ctx))
        return listed + [name for name in _all_commands() if name not in listed]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        module = LAZY_COMMANDS.get(cmd_name)
        commands = _commands_of(module) if module else _all_commands()
        return commands.get(cmd_name)

    def invoke(self, ctx: Any) -> Any:
        stdout_before = _stdout_identity()
        try:
            return super().invoke(ctx)
        except UserError as exc:
            typer.echo(f"evfault: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:  # `evfault explain F001 | head -3`: the reader had enough
            _silence_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:
            if not db_errors.is_database_error(exc):
                raise
            # A command that met an unusable database without saying so itself.
            typer.echo(f"evfault: {db_errors.sentence(exc)}", err=True)
            raise typer.Exit(2) from None
        except SystemExit as exc:
            # Rich meets a closed pipe by pointing stdout at /dev/null and exiting 1; for a
            # reader who stopped reading (`| head -3`) that is success.
            devnull = _stdout_identity(False)
            if exc.code == 1 and stdout_before != devnull == _stdout_identity():
                raise typer.Exit(0) from None
            raise


def _stdout_identity(now: bool = True) -> tuple[int, int] | None:
    """(device, inode) of stdout now, or of /dev/null when `now` is False."""
    try:
        found = os.fstat(sys.stdout.fileno()) if now else os.stat(os.devnull)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's final flush does not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


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
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed_version

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
    "tags_cmd",
)

# Which module holds a command, so running it imports that module alone. A command missing
# here still works: it is found by loading every module of COMMAND_MODULES (slower start).
LAZY_COMMANDS: dict[str, str] = {
    "serve": "serve_cmd", "demo": "demo_cmd", "explain": "catalog_cmds",
    "codes": "catalog_cmds", "simulate": "sim_cmd", "check": "check_cmd",
    "decode": "decode_cmd", "chargers": "chargers_cmd", "users": "users_cmd",
    "scan": "scan_cmd", "analyze": "analyze_cmd", "export": "export_cmd",
    "command": "command_cmd", "tags": "tags_cmd",
}


@functools.cache
def _commands_of(module: str) -> dict[str, Any]:
    """The Click commands one module registers (built once, on first use)."""
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    importlib.import_module(f"evfault.cli.{module}").register(holder)
    return dict(typer.main.get_group(holder).commands)


def _all_commands() -> dict[str, Any]:
    every: dict[str, Any] = {}
    for module in COMMAND_MODULES:
        every.update(_commands_of(module))
    return every


_registered: list[str] = []


def _register() -> None:
    """Add every command to `app` itself (once), for tests that drive `app` with CliRunner."""
    for name in COMMAND_MODULES:
        if name not in _registered:
            importlib.import_module(f"evfault.cli.{name}").register(app)
            _registered.append(name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a UserError becomes one sentence on stderr and a non-zero exit."""
    try:
        app(args=argv, prog_name="evfault", standalone_mode=True)
    except UserError as exc:
        print(f"evfault: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
