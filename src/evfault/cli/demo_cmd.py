"""`evfault demo`: a server on an embedded database plus a simulated fleet with faults."""

from __future__ import annotations

import asyncio
import logging
import secrets
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
DEMO_ALERT_INTERVAL = 2.0  # s between two rounds of self-healing and alerts
DEMO_PROFILE_HOLD = 20.0  # s a site limit holds: an offline charger's fallback shows soon
DEMO_SITE, DEMO_FUSE_A = "depot", 63.0

# Self-healing and alerts on the demo's clock (the built-in rules wait 5-30 minutes): an
# InternalError still there after 10 s gets a soft reset, then a hard one; an alert goes to
# the demo's own webhook receiver once self-healing has given up, and when a charger has been
# offline for 20 s (each with a "resolved" message when it is over).
DEMO_RULES = """\
self_healing:
  - name: demo-restart
    match: {{code: InternalError}}
    after: 10s
    actions: [soft_reset, hard_reset]
    verify: 30s
alerts:
  - name: demo-still-broken
    match: {{code: InternalError}}
    after: 20s
    quiet_while_healing: true
    channels: [{{webhook: "{hook}"}}]
  - name: demo-offline
    match: {{offline: true}}
    after: 20s
    channels: [{{webhook: "{hook}"}}]
"""


async def run_demo(settings: Settings, scenario_name: str, chargers: int | None, seed: int,
                   announce: Callable[[str], None], where_note: str, folder: Path) -> None:
    """Server, fleet and the demo's own parts: its rules and webhook receiver (unless --rules),
    its site file around the scenario's simulated meter (unless --sites); files in `folder`."""
    from evfault.alerts.receiver import WebhookReceiver
    from evfault.server import Server
    from evfault.sim.fleet import charger_ids, run_fleet
    from evfault.sim.scenario import load_scenario
    from evfault.sim.site import SiteDevices

    scenario = load_scenario(scenario_name)
    if chargers is not None:
        scenario = replace(scenario, chargers=chargers)
    receiver: WebhookReceiver | None = None
    site: SiteDevices | None = None
    shared: list[str] = []  # the site's chargers
    if not settings.rules:  # the demo's rules, alerts to a receiver of its own
        if not settings.webhook_secret:  # the receiver checks the signatures with it
            settings = settings.with_overrides(webhook_secret=secrets.token_hex(16))
        receiver = await WebhookReceiver(settings.webhook_secret).start()
        rules = folder / "rules.yaml"
        rules.write_text(DEMO_RULES.format(hook=receiver.url), encoding="utf-8")
        settings = settings.with_overrides(rules=str(rules))
    if scenario.site is not None and scenario.site.meter is not None and not settings.sites:
        # The scenario's meter runs here, before the server, which reads its address from the
        # site file: the fleet's last three chargers share a 63 A connection behind it.
        site = SiteDevices(scenario.site)
        urls = await site.start()
        shared = charger_ids(scenario)[-3:]
        settings = settings.with_overrides(sites=str(write_site(
            folder, shared, scenario.site.meter, urls["meter"])))
        scenario = replace(scenario, site=None)
    server = Server(settings)
    try:
        address = await start_or_explain(server, settings)
    except BaseException:
        await _close(receiver, site)
        raise
    stop = stop_on_signals()
    fleet = asyncio.create_task(run_fleet(address.ocpp, scenario, seed, stop))
    link = await demo_login_link(server)
    http = address.http
    site_line = "" if site is None else (
        f"  Site        {http}/sites/{DEMO_SITE}  ({len(shared)} chargers share "
        f"{DEMO_FUSE_A:g} A)\n")
    announce(f"evfault demo: {scenario.chargers} simulated chargers are connecting.\n"
             f"  Dashboard   {http}{link}  (logs you in once, as {DEMO_USER})\n"
             f"  Alerts      {http}/alerts\n"
             f"{site_line}"
             f"  Reliability {http}/reliability\n"
             f"  Driver page {http}/c/{charger_ids(scenario)[0]}  (what a driver's QR code "
             "opens)\n"
             f"  Driver help {http}/help\n"
             f"  API         {http}/api/v1  (interactive docs: {http}/docs)\n"
             f"  Database    {settings.db}{where_note}\n"
             "Errors appear and clear on the dashboard within a minute; within two, a charger "
             "goes offline and comes back, one reboots, a reset heals one, an alert is sent, "
             "and the site's meter drops out and returns. Ctrl-C stops both.")
    try:
        await stop.wait()
    finally:
        stop.set()
        with suppress(asyncio.CancelledError):
            await fleet
        await server.stop()
        await _close(receiver, site)
        announce("evfault demo stopped.")


def write_site(folder: Path, chargers: list[str], meter: Any, url: str) -> Path:
    """The demo's site file: `chargers` share DEMO_FUSE_A behind the simulated meter."""
    import yaml

    site = {
        "id": DEMO_SITE, "name": "Depot (demo)", "fuse_limit_a": DEMO_FUSE_A, "phases": 3,
        "chargers": [{"id": c, "max_current_a": 32, "fallback_current_a": 6} for c in chargers],
        "meter": {"url": url, "unit": meter.unit, "register": meter.register,
                  "scale": meter.scale, "fallback_a": 25, "interval_s": 1, "grace_s": 5},
    }
    path = folder / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [site]}, sort_keys=False), encoding="utf-8")
    return path


async def _close(receiver: Any, site: Any) -> None:
    if receiver is not None:
        receiver.close()
    if site is not None:
        await site.stop()


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
        "--keep", help="Keep the demo's temporary folder (database, rules, site file) on "
        "exit; it is removed otherwise.")] = False,
) -> None:
    """Start the server on an embedded database with a simulated fleet; print the URL."""
    # The demo's own folder: its database (unless --db), rules and site files.
    folder = Path(tempfile.mkdtemp(prefix="evfault-demo-"))
    where_note = ""
    if settings.db == Settings().db:  # not chosen: a fresh database of the demo's own
        settings = settings.with_overrides(db=f"sqlite:///{folder / 'demo.db'}")
        where_note = "  (kept: --keep)" if keep else "  (removed on exit; --keep keeps it)"
    if settings.alert_interval == Settings().alert_interval:
        settings = settings.with_overrides(alert_interval=DEMO_ALERT_INTERVAL)
    if settings.site_profile_hold == Settings().site_profile_hold:
        settings = settings.with_overrides(site_profile_hold=DEMO_PROFILE_HOLD)
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
    if settings.log_level == "warning":
        # The site's notices (a charger or the meter offline) are on its page, not the console.
        logging.getLogger("evfault.sites").setLevel(logging.ERROR)
    try:
        run(run_demo(settings, scenario, chargers, seed, echo, where_note, folder))
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            echo(f"The demo's files stay in {folder}.")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
