"""The opening act: scripted moments that show, early, every kind of thing the dashboard shows.

A Poisson fleet gets round to an offline charger or a reboot only now and then; a new user
watching the demo should see each within its first two minutes. The scenario's `opening:` list
names them (docs/simulator.md); `assign` gives each to a charger able to show it, and `play`
acts it out on that charger's own timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evfault.sim.mrec import build_no_error, utc_text
from evfault.sim.scenario import OpeningEvent, OutageSpec, Span
from evfault.sim.state import Connector, Phase

if TYPE_CHECKING:
    from evfault.sim.charger import VirtualCharger

# Stages of a warning: a car plugs in, then (once charging) the warning, then its clear.
_PLUG_IN, _WARN, _CLEAR = 0, 1, 2
_START_MARGIN = 2.0  # s after the plug-in time by which charging has begun


def assign(chargers: Sequence[VirtualCharger], events: Sequence[OpeningEvent]) -> None:
    """Give each event to a charger that can show it, a different one each where possible."""
    used: list[VirtualCharger | None] = []
    for index, event in enumerate(events):
        if event.same_charger_as is not None:
            chosen = used[event.same_charger_as]
        elif event.charger is not None:  # by number; a smaller fleet (--chargers) lacks it
            chosen = chargers[event.charger - 1] if event.charger <= len(chargers) else None
        else:
            chosen = _first_able(chargers, event, used)
        used.append(chosen)
        if chosen is not None:
            chosen.schedule_opening(index)


def _first_able(chargers: Sequence[VirtualCharger], event: OpeningEvent,
                used: list[VirtualCharger | None]) -> VirtualCharger | None:
    able = [c for c in chargers if _can_show(c, event)]
    fresh = [c for c in able if c not in used]
    candidates = fresh or able
    if event.resets is not None:
        # A fault for self-healing: a charger with one connector, so that its reset ends no
        # other driver's charge (the rules never reset during a transaction by default).
        candidates = sorted(candidates, key=lambda c: len(c.connectors))
    return candidates[0] if candidates else None


def _can_show(charger: VirtualCharger, event: OpeningEvent) -> bool:
    if event.kind == "warning":  # a plain 1.6 errorCode beside a Charging status
        return charger.protocol == "1.6" and len(charger.connectors) > 1
    if event.kind == "fault":
        labels = [f.label for f in charger.scenario.faults]
        found = charger.routes[labels.index(event.code)]
        return found is not None and not found.whole_charger
    return True


async def play(charger: VirtualCharger, event: OpeningEvent, index: int, stage: int) -> None:
    """Act out one opening event (or the next stage of a warning) on `charger`."""
    if event.kind == "disconnect":
        charger.stats.disconnects += 1
        await charger.drop(event.seconds)
    elif event.kind == "reboot":
        outage = OutageSpec(per_hour=0.0, downtime=Span(event.seconds, event.seconds),
                            fault_persists=0.0)
        await charger.reboot(outage, "Watchdog")
    elif event.kind == "fault":
        labels = [f.label for f in charger.scenario.faults]
        await charger.trip(labels.index(event.code), event.seconds, event.resets)
    elif event.kind == "charge":
        await _charge(charger, index, stage, event.seconds)
    else:
        await _warning(charger, event, index, stage)


async def _charge(charger: VirtualCharger, index: int, stage: int, seconds: float) -> None:
    """A car charges for about `seconds` (a site's load management has something to share)."""
    from evfault.sim.charger import OPENING

    tag = f"OPEN{index:04d}"
    if stage == _PLUG_IN:
        connector = _free_connector(charger)
        if connector is not None:
            await charger.begin_session(connector, tag)
            charger.push(charger.vt + seconds, OPENING, index, _CLEAR)
        return
    for connector in charger.connectors[1:]:
        if connector.id_tag == tag and connector.phase in (Phase.CHARGING, Phase.SUSPENDED):
            await charger.end_session(connector, "EVDisconnected")


async def _warning(charger: VirtualCharger, event: OpeningEvent, index: int, stage: int) -> None:
    """A warning the charger reports while it goes on charging (OCPP 1.6 allows an errorCode
    with status Charging): evfault shows it as an error with charging still possible."""
    from evfault.sim.charger import OPENING

    if stage == _PLUG_IN:
        connector = _free_connector(charger)
        if connector is None:
            return
        await charger.begin_session(connector, f"OPEN{index:04d}")
        plug_in = charger.scenario.sessions.plug_in.high if charger.scenario.sessions else 5.0
        charger.push(charger.vt + plug_in + _START_MARGIN, OPENING, index, _WARN)
        return
    charging = [c for c in charger.connectors[1:] if c.phase is Phase.CHARGING]
    if not charging:
        return  # the session ended meanwhile (a fault, a reboot): nothing to warn about
    connector = charging[0]
    if stage == _WARN:
        await charger.call("StatusNotification", {
            "connectorId": connector.id, "errorCode": event.code, "status": "Charging",
            "timestamp": utc_text(charger.timestamp())})
        charger.push(charger.vt + event.seconds, OPENING, index, _CLEAR)
    elif not connector.faults:
        await charger.call("StatusNotification", build_no_error(
            connector_id=connector.id, status="Charging", timestamp=charger.timestamp()))


def _free_connector(charger: VirtualCharger) -> Connector | None:
    return next((c for c in charger.connectors[1:]
                 if not (c.in_session or c.faults or c.unavailable)), None)
