"""`evfault demo`: a server on an embedded database plus a simulated fleet with faults."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from evfault.cli.serve_cmd import configure_logging, echo, run, start_or_explain, stop_on_signals
from evfault.cli.settings_options import with_settings
from evfault.settings import Settings

DEMO_USER = "demo"
DEMO_OFFLINE_GRACE = 10.0  # s


async def run_demo(settings: Settings, scenario_name: str, chargers: int | None, seed: int,
                   announce: Callable[[str], None], where_note: str = "") -> None:
    from evfault.server import Server
    from evfault.sim.fleet import run_fleet
    from evfault.sim.scenario import load_scenario

    scenario = load_scenario(scenario_name)
    if chargers is not None:
        scenario = replace(scenario, chargers=chargers)
    server = Server(settings)
    address = await start_or_explain(server, settings)
    stop = stop_on_signals()
    fleet = asyncio.create_task(run_fleet(address.ocpp, scenario, seed, stop))
    link = await demo_login_link(server)
    announce(f"evfault demo: {scenario.chargers} simulated chargers are connecting.\n"
             f"  Dashboard   {address.http}{link}  (logs you in once, as {DEMO_USER})\n"
             f"  Driver help {address.http}/help\n"
             f"  API         {address.http}/api/v1  (interactive docs: {address.http}/docs)\n"
             f"  Database    {settings.db}{where_note}\n"
             "Errors appear and clear on the dashboard within a minute; within two, a charger "
             "goes offline and comes back, one reboots. Ctrl-C stops both.")
    try:
        await stop.wait()
    finally:
        stop.set()
        with suppress(asyncio.CancelledError):
            await fleet
        await server.stop()
        announce("evfault demo stopped.")


async def demo_login_link(server: Any) -> str:
    """A one-time link that logs in as the demo's admin (made on first use of the database)."""
    from evfault.auth.model import Role

    trust = server.trust
    known = {u.name: u for u in await trust.admin.users()}
    user = known.get(DEMO_USER)
    if user is None:
        created = await trust.admin.add_user("demo", DEMO_USER, Role.ADMIN)
        user = created.user
    return f"/login/link?token={trust.accounts.issue_link(user.id)}"


@with_settings
def demo(
    settings: Settings,
    scenario: Annotated[str, typer.Option(
        help="A bundled scenario name (demo, load) or a scenario YAML file.")] = "demo",
    chargers: Annotated[int | None, typer.Option(
        min=1, max=20_000, help="How many simulated chargers (default: the scenario's).")] = None,
    seed: Annotated[int, typer.Option(
        help="Seed of the simulation: the same seed plays the same faults.")] = 1,
    keep: Annotated[bool, typer.Option(
        "--keep", help="Keep the demo's temporary database folder on exit (it is removed "
        "otherwise); no effect with --db.")] = False,
) -> None:
    """Start the server on an embedded database with a simulated fleet; print the URL."""
    folder: Path | None = None
    where_note = ""
    if settings.db == Settings().db:  # not chosen: a fresh database of the demo's own
        folder = Path(tempfile.mkdtemp(prefix="evfault-demo-"))
        settings = settings.with_overrides(db=f"sqlite:///{folder / 'demo.db'}")
        where_note = "  (kept: --keep)" if keep else "  (removed on exit; --keep keeps it)"
    if settings.unknown_chargers == Settings().unknown_chargers:
        settings = settings.with_overrides(unknown_chargers="accept")  # simulated fleet: all in
    if settings.unknown_tags == Settings().unknown_tags:
        settings = settings.with_overrides(unknown_tags="accept")  # the simulated drivers' cards
    if settings.log_level == Settings().log_level:
        settings = settings.with_overrides(log_level="warning")  # the demo's lines only
    if settings.offline_grace == Settings().offline_grace:
        # The demo's dropped connections last 15-60 s: with the server's 120 s grace no
        # charger would ever be seen offline.
        settings = settings.with_overrides(offline_grace=DEMO_OFFLINE_GRACE)
    configure_logging(settings.log_level)
    try:
        run(run_demo(settings, scenario, chargers, seed, echo, where_note))
    finally:
        if folder is not None and not keep:
            shutil.rmtree(folder, ignore_errors=True)
        elif folder is not None:
            echo(f"The demo's database stays in {folder}.")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
