"""`evfault simulate`: a fleet of virtual chargers against any OCPP central system."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table
from websockets.exceptions import InvalidURI
from websockets.uri import parse_uri

from evfault.errors import UserError
from evfault.sim.fleet import run_fleet
from evfault.sim.scenario import Scenario, load_scenario
from evfault.sim.stats import FleetStats

PROGRESS_EVERY = 5.0  # seconds between progress lines

UrlOpt = Annotated[str, typer.Option(
    "--url", help="The central system's OCPP endpoint; each charger connects to URL/{id} "
    "(e.g. ws://127.0.0.1:8180/ocpp).", show_default=False)]
ChargersOpt = Annotated[int | None, typer.Option(
    "--chargers", help="How many chargers (default: the scenario's).", min=1)]
ProtocolOpt = Annotated[str | None, typer.Option(
    "--protocol", help="1.6, 2.0.1 or mixed (default: the scenario's mix).")]
ScenarioOpt = Annotated[str, typer.Option(
    "--scenario", help="A scenario YAML file, or a bundled one by name (demo, load).")]
SeedOpt = Annotated[int, typer.Option(
    "--seed", help="Same seed, same sequence of messages per charger.")]
DurationOpt = Annotated[float | None, typer.Option(
    "--duration", help="Stop after this many seconds (default: run until Ctrl-C).", min=0)]
PrefixOpt = Annotated[str | None, typer.Option(
    "--prefix", help="Charge point id prefix (default: the scenario's, e.g. SIM-).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the final counters as JSON.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress lines while running.")]


def register(app: typer.Typer) -> None:
    """Add `simulate` to the app (once, however often it is called)."""
    if any(c.name == "simulate" for c in app.registered_commands):
        return
    app.command("simulate")(simulate)


def simulate(
    url: UrlOpt,
    chargers: ChargersOpt = None,
    protocol: ProtocolOpt = None,
    scenario: ScenarioOpt = "demo",
    seed: SeedOpt = 0,
    duration: DurationOpt = None,
    prefix: PrefixOpt = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run a fleet of virtual chargers (OCPP 1.6 / 2.0.1) that report MREC faults."""
    check_url(url)
    plan = load_scenario(scenario).with_overrides(chargers, protocol, prefix)
    err = Console(stderr=True)
    if not quiet:
        err.print(f"simulating {plan.chargers} chargers ({_mix(plan)}), scenario "
                  f"{plan.name}, seed {seed} → {url}/{{id}}; Ctrl-C stops")
    stats = asyncio.run(_run(url, plan, seed, duration, None if quiet else err))
    if stats.connects == 0:
        raise UserError(f"no charger could connect to {url}: {stats.last_error or 'no answer'}.")
    if json:
        typer.echo(orjson.dumps(stats.snapshot(), option=orjson.OPT_INDENT_2).decode())
    else:
        Console().print(summary_table(stats))


def check_url(url: str) -> None:
    """A ws:// or wss:// URL, or a UserError saying what to give instead."""
    try:
        parse_uri(url)
    except InvalidURI:
        raise UserError(f"--url must be a ws:// or wss:// address such as "
                        f"ws://127.0.0.1:8180/ocpp, not {url!r}.") from None


async def _run(
    url: str, plan: Scenario, seed: int, duration: float | None, progress: Console | None
) -> FleetStats:
    stats = FleetStats()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            loop.add_signal_handler(sig, stop.set)
    reporter = asyncio.create_task(_report(stats, progress)) if progress else None
    try:
        await run_fleet(url, plan, seed, stop, duration=duration, stats=stats)
    finally:
        if reporter is not None:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
    return stats


async def _report(stats: FleetStats, console: Console) -> None:
    await asyncio.sleep(0.2)  # the scenario's meter and EMS listen by now
    for name, url in stats.site_urls.items():
        console.print(f"simulated site {name}: {url} (point the site file's {name} url here)")
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        line = (f"{stats.connected}/{stats.chargers} connected · {stats.sent} sent · "
                f"{stats.answered} answered · {stats.errors} errors")
        if stats.connect_failures:
            line += f" · {stats.connect_failures} failed connects ({stats.last_error})"
        console.print(line)


def summary_table(stats: FleetStats) -> Table:
    snap = stats.snapshot()
    table = Table(title="Simulated fleet", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("chargers", "connects", "connect_failures", "disconnects", "reboots", "sent",
                "answered", "call_errors", "timeouts", "lost", "server_calls", "refused"):
        table.add_row(key.replace("_", " "), str(snap[key]))
    latency = snap["latency_ms"]
    assert isinstance(latency, dict)
    for name, value in latency.items():
        table.add_row(f"latency {name}", "–" if value is None else f"{value} ms")
    return table


def _mix(plan: Scenario) -> str:
    total = sum(w for _, w in plan.protocols)
    return ", ".join(f"{round(100 * w / total)}% OCPP {name}" for name, w in plan.protocols)
