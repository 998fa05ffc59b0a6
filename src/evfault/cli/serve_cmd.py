"""`evfault serve`: its options come from the settings table, each with its EVFAULT_* twin."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import typer

from evfault.cli import db_errors
from evfault.cli.settings_options import with_settings
from evfault.errors import UserError
from evfault.settings import Settings

# Libraries whose INFO lines say nothing an operator acts on (Alembic's "Context impl
# SQLiteImpl", "Will assume non-transactional DDL" on every start); --log-level debug shows them.
QUIET_LOGGERS = ("alembic",)


def configure_logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise UserError(f"--log-level must be debug, info, warning or error, not {level!r}.")
    logging.basicConfig(level=numeric, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


def stop_on_signals() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM, so both stop the server cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def start_or_explain(server: Any, settings: Settings, reuse_port: bool = False) -> Any:
    """Start the server; what stops it (port, address, database, files) becomes one sentence."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return await server.start(reuse_port=reuse_port)
    except socket.gaierror:
        raise UserError(f"cannot find the address {settings.host!r}; give --host an IP "
                        "address or a name this machine can resolve.") from None
    except OSError as exc:
        raise UserError(_listen_problem(exc, settings)) from None
    except SQLAlchemyError as exc:
        raise UserError(db_errors.sentence(exc, settings.db)) from None
    except ValueError as exc:  # an unusable database URL, setting, certificate or site file
        raise UserError(str(exc)) from None


def _listen_problem(exc: OSError, settings: Settings) -> str:
    where = f"{settings.host}:{settings.port}"
    if exc.errno == errno.EADDRINUSE:
        return f"port {settings.port} is in use on {settings.host}; stop what uses it or " \
               "pick another --port."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{settings.host} is not an address of this machine; pick another --host."
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where} (ports below 1024 need privileges); " \
               "pick another --port."
    if exc.filename:  # a TLS file or site file that cannot be read
        return f"cannot read {exc.filename} ({exc.strerror or exc})."
    return f"cannot listen on {where} ({exc.strerror or exc}); pick another --host or --port."


async def run_server(settings: Settings, announce: Callable[[str], None]) -> None:
    from evfault.server import Server
    from evfault.workers import WorkerRole, orphaned, run_workers, worker_count

    role = WorkerRole.from_env()
    count = 1 if role else worker_count(settings)
    # Our handlers before anything is printed, so a Ctrl-C that follows the "running" line at
    # once reaches stop.set. Started in the background (`nohup evfault serve &`, a CI step), the
    # process inherits SIGINT ignored, and until our handler was in place such a Ctrl-C was lost.
    stop = stop_on_signals()
    if count > 1:
        await run_workers(settings, count, announce, stop)
        return
    server = Server(settings)
    address = await start_or_explain(server, settings, reuse_port=role is not None)
    watch = asyncio.ensure_future(orphaned(stop)) if role is not None else None
    serving = asyncio.ensure_future(server.serve_forever())
    waiter = asyncio.ensure_future(stop.wait())
    try:
        announce(f"evfault is running: dashboard {address.http}/  API {address.http}/api/v1  "
                 f"OCPP {address.ocpp}/{{chargePointId}}")
        await announce_first_run(server, address, announce, role)
        await asyncio.wait({waiter, serving}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # however this ends, what was acknowledged is written and the port is given back
        waiter.cancel()
        if watch is not None:
            watch.cancel()
        await server.stop()


async def announce_first_run(server: Any, address: Any, announce: Callable[[str], None],
                             role: Any = None) -> None:
    """With no user yet, a one-time link that makes the first admin (as Jupyter prints its).

    Workers of one supervisor all accept the supervisor's token (a browser's next request may
    reach another worker); worker 0 prints it.
    """
    accounts = server.trust.accounts
    if not await accounts.has_users():
        token = accounts.issue_link(None, token=role.first_run_token if role else None)
        if role is not None and role.index != 0:
            return
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
