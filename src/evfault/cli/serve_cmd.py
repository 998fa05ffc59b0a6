"""`evfault serve`: its options come from the settings table, each with its EVFAULT_* twin."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import typer

from evfault.cli.settings_options import with_settings
from evfault.errors import UserError
from evfault.settings import Settings


def configure_logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise UserError(f"--log-level must be debug, info, warning or error, not {level!r}.")
    logging.basicConfig(level=numeric, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def stop_on_signals() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM, so both stop the server cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def start_or_explain(server: Any, settings: Settings) -> Any:
    """Start the server; a port that cannot be used becomes one sentence."""
    try:
        return await server.start()
    except OSError as exc:
        raise UserError(f"cannot listen on {settings.host}:{settings.port} "
                        f"({exc.strerror or exc}); pick another --port.") from None
    except ValueError as exc:  # an unusable database URL
        raise UserError(str(exc)) from None


async def run_server(settings: Settings, announce: Callable[[str], None]) -> None:
    from evfault.server import Server

    server = Server(settings)
    address = await start_or_explain(server, settings)
    announce(f"evfault is running: dashboard {address.http}/  API {address.http}/api/v1  "
             f"OCPP {address.ocpp}/{{chargePointId}}")
    await announce_first_run(server, address, announce)
    stop = stop_on_signals()
    serving = asyncio.ensure_future(server.serve_forever())
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, serving}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    await server.stop()


async def announce_first_run(server: Any, address: Any, announce: Callable[[str], None]) -> None:
    """With no user yet, a one-time link that makes the first admin (as Jupyter prints its)."""
    accounts = server.trust.accounts
    if not await accounts.has_users():
        token = accounts.issue_link(None)
        announce(f"No user yet. Open {address.http}/login/first?token={token} to create the "
                 "first admin (the link works once, for an hour).")


def echo(text: str) -> None:
    typer.echo(text)
    sys.stdout.flush()


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a server's life on uvloop where installed (see evfault.server.run)."""
    from evfault.server import run as run_server_loop

    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C during shutdown
        run_server_loop(coroutine)


@with_settings
def serve(settings: Settings) -> None:
    """Run the central system: OCPP endpoint, dashboard, help pages and API on one port."""
    configure_logging(settings.log_level)
    run(run_server(settings, echo))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
