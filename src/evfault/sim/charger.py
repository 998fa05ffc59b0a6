"""A virtual charger: one asyncio task that plays its own seeded timeline over real OCPP-J.

Determinism: everything the charger decides (protocol, connectors, when a car arrives, which
fault trips where, readings, reboots) is drawn from its own `random.Random`, in the order of a
virtual timeline (a heap of events). The real clock only decides *when* an event is played, never
*which* comes next, so the same seed gives each charger the same sequence of messages however
fast or slow the central system answers. Only calls from the central system (Reset,
TriggerMessage, …) and connection failures add events from outside.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from evfault.catalog.catalog import Catalog
from evfault.sim.dialect import Dialect, dialect_for
from evfault.sim.faults import Route, routes_for
from evfault.sim.link import Link, Reply
from evfault.sim.mrec import MrecError
from evfault.sim.scenario import ChargerModel, OutageSpec, Scenario, Span
from evfault.sim.state import VOLTS_3PHASE, ActiveFault, Connector, Phase
from evfault.sim.stats import FleetStats

log = logging.getLogger("evfault.sim")

# Timeline event kinds.
CONNECT, BOOT, HEARTBEAT, ARRIVAL, STEP, METER, FAULT, FAULT_END, REBOOT, DISCONNECT, LATER, \
    OPENING = range(12)
_ALWAYS = (CONNECT, BOOT, LATER)  # played even while the charger is offline or not yet accepted

_RETRY_FIRST, _RETRY_MAX = 1.0, 30.0  # reconnect back-off (s)
_BOOT_RETRY = 10.0  # s, when the server gives no interval with Pending/Rejected
_FORCED_REBOOT = OutageSpec(per_hour=0.0, downtime=Span(1.0, 3.0), fault_persists=0.5)
_DEFER = 1e-6  # deferred events play just after the reconnect they wait for

Later = Callable[[], Awaitable[None]]


def weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    """One name drawn by weight (one draw, whatever the weights, so sequences stay aligned)."""
    names = [name for name, _ in choices]
    return rng.choices(names, weights=[w for _, w in choices])[0]


def pick_model(rng: random.Random, models: Sequence[ChargerModel]) -> ChargerModel:
    """One of the scenario's charger models, by weight."""
    return rng.choices(list(models), weights=[m.weight for m in models])[0]


def utc_now() -> datetime:
    return datetime.now(UTC)


class VirtualCharger:
    """One simulated charge point. `run()` plays its timeline until `stop` is set."""

    def __init__(
        self,
        index: int,
        ident: str,
        url: str,
        scenario: Scenario,
        seed: int | str,
        stats: FleetStats,
        catalog: Catalog,
        start_at: float = 0.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.ident = ident
        self.url = url.rstrip("/") + "/" + ident
        self.scenario = scenario
        self.stats = stats
        self.catalog = catalog
        self.clock = clock
        self.rng = random.Random(f"{seed}:{index}")
        # Its own generator: naming the model draws nothing from the timeline's.
        self.model = pick_model(random.Random(f"{seed}:{index}:model"), scenario.models)
        self.protocol = weighted(self.rng, scenario.protocols)
        self.flavour = weighted(self.rng, scenario.mrec)
        count = self.rng.choice(scenario.connectors)
        self.connectors = [Connector(i) for i in range(count + 1)]
        self.routes = routes_for(scenario.faults, self.protocol, self.flavour, catalog)
        self.dialect: Dialect = dialect_for(self.protocol)
        self.start_at = start_at
        self.vt = 0.0  # virtual time of the event being played
        self.link: Link | None = None
        self.ready = False  # connected and accepted by BootNotification
        self.needs_boot = True
        self.boot_reason = "PowerUp"
        self.heartbeat_interval = 0.0
        # Charging profiles a central system set, by stack level (A per phase): the charger
        # draws no more than the highest level's limit (evfault's sites send them).
        self.profile_limits: dict[int, float] = {}
        self.resume_at = start_at  # when the pending connect or boot will be tried
        self._heap: list[tuple[float, int, int, int, int]] = []
        self._seq = 0
        self._later: dict[int, Later] = {}
        self._held: list[Later] = []
        self._hb_gen = 0
        self._fault_ids = 0
        self._event_ids = 0
        self._backoff = 0.0
        self._wake = asyncio.Event()
        self._epoch = 0.0

    # -- the timeline ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Play the timeline until `stop` is set; the connection is closed on the way out."""
        loop = asyncio.get_running_loop()
        self._epoch = loop.time()
        self._schedule_start()
        try:
            while not stop.is_set():
                # Nothing scheduled (a quiet scenario): stay connected until woken.
                delay = self._epoch + self._heap[0][0] - loop.time() if self._heap else None
                if delay is None or delay > 0:
                    await self._sleep(delay)
                    self._check_link()
                    continue
                await self._play(*heapq.heappop(self._heap))
        finally:
            await self._shutdown()

    def wake(self) -> None:
        """Interrupt the wait for the next event (stop, a dropped link, a server's call)."""
        self._wake.set()

    def push(self, at: float, kind: int, a: int = 0, b: int = 0) -> int:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, a, b))
        return self._seq

    def later(self, job: Later) -> None:
        """Run `job` as the next event once the answer to the server's call is sent."""
        self._held.append(job)

    def _release_held(self) -> None:
        for job in self._held:
            seq = self.push(max(self.vt, self.elapsed()), LATER)
            self._later[seq] = job
        self._held.clear()
        self.wake()

    def elapsed(self) -> float:
        return asyncio.get_running_loop().time() - self._epoch

    async def _sleep(self, delay: float | None) -> None:
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def _play(self, at: float, seq: int, kind: int, a: int, b: int) -> None:
        if not self.ready and kind not in _ALWAYS:
            if kind != HEARTBEAT:  # heartbeats restart after the reconnect anyway
                heapq.heappush(self._heap, (self.resume_at + _DEFER, seq, kind, a, b))
            return
        self.vt = at
        handler = self._handlers[kind]
        await handler(self, a, b, seq)
        self._check_link()

    def _schedule_start(self) -> None:
        self.push(self.start_at, CONNECT)
        sessions = self.scenario.sessions
        if sessions is not None and sessions.per_hour > 0:
            for connector in self.connectors[1:]:
                self.push(self.start_at + self._interval(sessions.per_hour), ARRIVAL, connector.id)
        for index, spec in enumerate(self.scenario.faults):
            if self.routes[index] is not None and spec.per_hour > 0:
                self.push(self.start_at + self._interval(spec.per_hour), FAULT, index)
        for kind, outage in ((REBOOT, self.scenario.reboots),
                             (DISCONNECT, self.scenario.disconnects)):
            if outage is not None and outage.per_hour > 0:
                self.push(self.start_at + self._interval(outage.per_hour), kind)

    def _interval(self, per_hour: float) -> float:
        """Seconds to the next event of a Poisson process with this hourly rate."""
        return self.rng.expovariate(per_hour / 3600.0)

    # -- connection --------------------------------------------------------------------------

    async def _on_connect(self, a: int, b: int, seq: int) -> None:
        try:
            ws = await connect(
                self.url,
                subprotocols=[Subprotocol(self.dialect.subprotocol)],
                open_timeout=self.scenario.call_timeout,
                ping_interval=None,  # OCPP heartbeats keep the connection alive
                close_timeout=2,
                max_queue=64,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            self._connect_failed(f"cannot connect to {self.url}: {exc}")
            return
        if ws.subprotocol != self.dialect.subprotocol:
            await ws.close()
            self._connect_failed(f"the server at {self.url} did not accept subprotocol "
                                 f"{self.dialect.subprotocol}")
            return
        self._backoff = 0.0
        self.stats.connects += 1
        self.stats.connected += 1
        self.link = Link(ws, self._answer, self.stats, self.scenario.call_timeout,
                         on_close=self.wake, version=self.protocol,
                         after_answer=self._release_held)
        if self.needs_boot:
            await self._on_boot(0, 0, seq)
        else:
            self.ready = True
            await self._announce()
            self._start_heartbeats()

    def _connect_failed(self, reason: str) -> None:
        self.stats.connect_failures += 1
        self.stats.last_error = reason
        self._backoff = min(_RETRY_MAX, self._backoff * 2 or _RETRY_FIRST)
        self.resume_at = max(self.vt, self.elapsed()) + self._backoff
        self.push(self.resume_at, CONNECT)

    async def _on_boot(self, a: int, b: int, seq: int) -> None:
        if self.link is None:
            return
        accepted, interval = await self.dialect.boot(self)
        if not accepted:
            self.resume_at = self.vt + (interval or _BOOT_RETRY)
            self.push(self.resume_at, BOOT)
            return
        self.needs_boot = False
        self.ready = True
        self.boot_reason = "PowerUp"
        await self._announce()
        self.set_heartbeat(interval)

    async def _announce(self) -> None:
        """A status for every connector (1.6: connector 0 too, per the errata), faults included."""
        for connector in self.connectors:
            await self.dialect.announce(self, connector)

    def set_heartbeat(self, server_interval: float) -> None:
        """Heartbeat at the scenario's interval, else the server's; restart the cycle."""
        override = self.scenario.heartbeat
        self.heartbeat_interval = server_interval if override is None else override
        self._start_heartbeats()

    def change_heartbeat(self, seconds: float) -> None:
        """The central system set HeartbeatInterval: it wins over the scenario from now on."""
        self.heartbeat_interval = seconds
        self._start_heartbeats()

    def _start_heartbeats(self) -> None:
        self._hb_gen += 1
        if self.heartbeat_interval > 0:
            self.push(self.vt + self.heartbeat_interval, HEARTBEAT, self._hb_gen)

    async def _on_heartbeat(self, gen: int, b: int, seq: int) -> None:
        if gen != self._hb_gen:
            return
        await self.call("Heartbeat", {})
        self.push(self.vt + self.heartbeat_interval, HEARTBEAT, gen)

    def _check_link(self) -> None:
        if self.link is not None and self.link.closed.is_set():
            self._went_offline(self._retry_delay())
            self.stats.disconnects += 1

    def _retry_delay(self) -> float:
        self._backoff = min(_RETRY_MAX, self._backoff * 2 or _RETRY_FIRST)
        return self._backoff

    def _went_offline(self, downtime: float) -> None:
        self.link = None
        self.ready = False
        self.stats.connected -= 1
        self._hb_gen += 1
        self.resume_at = max(self.vt, self.elapsed()) + downtime
        self.push(self.resume_at, CONNECT)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send a CALL if connected; None when there is no answer."""
        if self.link is None or self.link.closed.is_set():
            return None
        return await self.link.call(action, payload)

    def _answer(self, action: str, payload: dict[str, Any]) -> Reply:
        return self.dialect.answer(self, action, payload)

    async def _shutdown(self) -> None:
        if self.link is not None:
            link, self.link = self.link, None
            await link.close()
            self.stats.connected -= 1

    # -- sessions ----------------------------------------------------------------------------

    async def _on_arrival(self, connector_id: int, b: int, seq: int) -> None:
        sessions = self.scenario.sessions
        if sessions is None:
            return
        self.push(self.vt + self._interval(sessions.per_hour), ARRIVAL, connector_id)
        connector = self.connectors[connector_id]
        if connector.in_session or connector.faults or connector.unavailable:
            return
        await self.begin_session(connector, self._id_tag())

    def _id_tag(self) -> str:
        return f"TAG{self.rng.randrange(10**6):06d}"

    @property
    def limit_a(self) -> float | None:
        """The current limit in force: the highest stack level's profile, if any."""
        return self.profile_limits[max(self.profile_limits)] if self.profile_limits else None

    def current_a(self, connector: Connector) -> float:
        """Amperes per phase the connector draws: what the car wants, capped by the limit,
        shared evenly when several connectors charge under one charger-wide limit."""
        if connector.phase is not Phase.CHARGING:
            return 0.0
        wanted = connector.power_w / VOLTS_3PHASE
        limit = self.limit_a
        if limit is None:
            return wanted
        charging = sum(1 for c in self.connectors[1:] if c.phase is Phase.CHARGING) or 1
        return min(wanted, limit / charging)

    async def begin_session(self, connector: Connector, id_tag: str) -> None:
        """A car plugs in: Preparing, then the driver authorises after the plug-in time."""
        connector.gen += 1
        connector.phase = Phase.PREPARING
        connector.id_tag = id_tag
        connector.power_w = self.rng.uniform(7_000, 150_000)
        await self.dialect.plug_in(self, connector)
        plug_in = self.scenario.sessions.plug_in if self.scenario.sessions else Span(2, 5)
        self.push(self.vt + plug_in.draw(self.rng), STEP, connector.id, connector.gen)

    async def _on_step(self, connector_id: int, gen: int, seq: int) -> None:
        connector = self.connectors[connector_id]
        if gen != connector.gen:
            return  # the session this step belonged to has ended
        sessions = self.scenario.sessions
        phase = connector.phase
        if phase is Phase.PREPARING:
            await self._start_charging(connector)
            if sessions is not None:
                self.push(self.vt + sessions.charging.draw(self.rng), STEP, connector_id, gen)
        elif phase is Phase.CHARGING:
            connector.meter_to(self.vt)
            connector.phase = Phase.SUSPENDED
            await self.dialect.suspend(self, connector)
            if sessions is not None:
                self.push(self.vt + sessions.suspended.draw(self.rng), STEP, connector_id, gen)
        elif phase is Phase.SUSPENDED:
            await self.end_session(connector, "EVDisconnected")
        elif phase is Phase.FINISHING:
            await self._unplug(connector)

    async def _start_charging(self, connector: Connector) -> None:
        connector.phase = Phase.CHARGING
        connector.since = self.vt
        await self.dialect.start(self, connector)
        interval = self.scenario.sessions.meter_interval if self.scenario.sessions else 60.0
        self.push(self.vt + interval, METER, connector.id, connector.gen)

    async def end_session(
        self, connector: Connector, reason: str, unplug_after: bool = True
    ) -> None:
        """Stop the transaction; the driver unplugs after the finishing time."""
        if connector.phase in (Phase.CHARGING, Phase.SUSPENDED):
            connector.meter_to(self.vt)
            await self.dialect.stop(self, connector, reason)
        connector.phase = Phase.FINISHING
        connector.gen += 1
        if unplug_after:
            sessions = self.scenario.sessions
            finishing = sessions.finishing if sessions else Span(2, 5)
            self.push(self.vt + finishing.draw(self.rng), STEP, connector.id, connector.gen)

    async def _unplug(self, connector: Connector) -> None:
        connector.phase = Phase.IDLE
        connector.gen += 1
        connector.tx_id = None
        if not connector.faults:
            await self.dialect.unplug(self, connector)

    async def _on_meter(self, connector_id: int, gen: int, seq: int) -> None:
        connector = self.connectors[connector_id]
        if gen != connector.gen or connector.phase not in (Phase.CHARGING, Phase.SUSPENDED):
            return
        connector.meter_to(self.vt)
        await self.dialect.meter(self, connector)
        interval = self.scenario.sessions.meter_interval if self.scenario.sessions else 60.0
        self.push(self.vt + interval, METER, connector_id, gen)

    # -- faults ------------------------------------------------------------------------------

    async def _on_fault(self, index: int, b: int, seq: int) -> None:
        spec = self.scenario.faults[index]
        self.push(self.vt + self._interval(spec.per_hour), FAULT, index)
        await self.trip(index)

    async def trip(self, index: int, duration: float | None = None,
                   resets: int | None = None) -> None:
        """The scenario's fault `index` trips now (if this charger can have it, and now);
        `resets`: how many restarts it survives (None: the scenario's chance)."""
        spec = self.scenario.faults[index]
        found = self.routes[index]
        if found is None:
            return
        connector = self.connectors[0] if found.whole_charger else self.rng.choice(
            self.connectors[1:])
        if not await self._ready_for(found, connector):
            return
        charging = connector.phase is Phase.CHARGING
        conditions = found.conditions(charging, self.rng, self.catalog)
        fresh = tuple(c for c in conditions if c.code not in
                      {x.code for x in connector.conditions(found.kind)})
        if not fresh:
            return
        self._fault_ids += 1
        fault = ActiveFault(self._fault_ids, found.kind, fresh, spec.broken, resets)
        await self.raise_fault(connector, fault)
        lasts = spec.duration.draw(self.rng) if duration is None else duration
        self.push(self.vt + lasts, FAULT_END, connector.id, fault.id)

    async def _ready_for(self, found: Route, connector: Connector) -> bool:
        """Bring the connector into the phase the fault needs, or say it cannot happen now."""
        if connector.kinds() - {found.kind} or (found.kind == "ocpp" and connector.faults):
            return False  # one kind of report per connector at a time
        if found.phase == "no-session":
            return not any(c.in_session for c in self.connectors)
        if found.phase == "any":
            return True
        if found.phase == "charging" and connector.phase is Phase.CHARGING:
            return True
        if found.phase == "charging" and self.scenario.sessions is None:
            return False  # a fleet without sessions never charges (status-only load)
        if connector.in_session or connector.unavailable or connector.faults:
            return False
        if found.phase == "charging":
            await self.begin_session(connector, self._id_tag())
            await self._start_charging(connector)
        elif found.phase == "plug-in":
            connector.phase = Phase.PREPARING
            await self.dialect.plug_in(self, connector)
        return True

    async def raise_fault(self, connector: Connector, fault: ActiveFault) -> None:
        """Report a fault; a session in progress ends (the fault stops the charge)."""
        connector.faults.append(fault)
        try:
            await self.dialect.fault_raised(self, connector, fault)
        except MrecError as exc:
            connector.faults.remove(fault)
            self.stats.refused += 1
            self.stats.last_error = f"{self.ident}: refused to send: {exc}"
            if connector.phase is Phase.PREPARING:
                await self._unplug(connector)  # the plug-in we staged for it is called off
            return
        await self._abandon_session(connector, "Other")

    async def _abandon_session(self, connector: Connector, reason: str) -> None:
        """End whatever session the connector is in, now, without the unplug that follows."""
        if connector.phase in (Phase.CHARGING, Phase.SUSPENDED):
            await self.end_session(connector, reason, unplug_after=False)
        elif connector.phase is Phase.PREPARING and connector.tx_id is not None:
            await self.dialect.stop(self, connector, reason)  # 2.0.1 opens it at plug-in
        connector.phase = Phase.IDLE
        connector.gen += 1
        connector.tx_id = None

    async def _on_fault_end(self, connector_id: int, fault_id: int, seq: int) -> None:
        connector = self.connectors[connector_id]
        fault = next((f for f in connector.faults if f.id == fault_id), None)
        if fault is None:
            return  # cleared by a reboot meanwhile
        connector.faults.remove(fault)
        await self.dialect.fault_cleared(self, connector, fault)

    def next_event_id(self) -> int:
        self._event_ids += 1
        return self._event_ids

    # -- reboots and dropped connections -----------------------------------------------------

    async def _on_reboot(self, a: int, b: int, seq: int) -> None:
        outage = self.scenario.reboots
        assert outage is not None
        self.push(self.vt + self._interval(outage.per_hour), REBOOT)
        if any(c.in_session for c in self.connectors):
            return  # firmware waits for an idle moment to restart
        await self.reboot(outage, "Watchdog")

    async def reboot(self, outage: OutageSpec | None = None, reason: str = "RemoteReset") -> None:
        """Restart: sessions end, faults persist or not, a new BootNotification after downtime."""
        outage = outage or self.scenario.reboots or _FORCED_REBOOT
        for connector in self.connectors[1:]:
            await self._abandon_session(connector, "Reboot")
        by_chance = self.rng.random() < outage.fault_persists
        for connector in self.connectors:
            connector.faults[:] = [f for f in connector.faults if f.survives(by_chance)]
        self.stats.reboots += 1
        self.needs_boot = True
        self.boot_reason = reason
        await self._drop(outage.downtime.draw(self.rng), abort=False)

    async def _on_disconnect(self, a: int, b: int, seq: int) -> None:
        outage = self.scenario.disconnects
        assert outage is not None
        self.push(self.vt + self._interval(outage.per_hour), DISCONNECT)
        self.stats.disconnects += 1
        await self._drop(outage.downtime.draw(self.rng), abort=True)

    async def drop(self, downtime: float) -> None:
        """The connection breaks (no close handshake) and comes back after `downtime` s."""
        await self._drop(downtime, abort=True)

    async def _drop(self, downtime: float, abort: bool) -> None:
        link = self.link
        if link is None:
            return
        self._went_offline(downtime)
        await link.close(abort=abort)

    def schedule_opening(self, index: int) -> None:
        """Play the scenario's opening event `index` on this charger (sim/opening.py)."""
        self.push(self.start_at + self.scenario.opening[index].at, OPENING, index)

    async def _on_opening(self, index: int, stage: int, seq: int) -> None:
        from evfault.sim.opening import play

        await play(self, self.scenario.opening[index], index, stage)

    async def _on_later(self, a: int, b: int, seq: int) -> None:
        job = self._later.pop(seq, None)
        if job is not None and self.link is not None:
            await job()

    _handlers: ClassVar[dict[int, Callable[[VirtualCharger, int, int, int], Awaitable[None]]]] = {
        CONNECT: _on_connect,
        BOOT: _on_boot,
        HEARTBEAT: _on_heartbeat,
        ARRIVAL: _on_arrival,
        STEP: _on_step,
        METER: _on_meter,
        FAULT: _on_fault,
        FAULT_END: _on_fault_end,
        REBOOT: _on_reboot,
        DISCONNECT: _on_disconnect,
        LATER: _on_later,
        OPENING: _on_opening,
    }

    def timestamp(self) -> datetime:
        return self.clock()
