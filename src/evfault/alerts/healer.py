"""Self-healing of a running server: the rules' actions, sent through the commander, recorded.

Every `alert_interval` seconds, in the alerts' round (on the same read of the active errors, and
before the alerts are decided), the healer reads the attempts made so far (from the database,
so every node sees the same), judges the attempts whose result is due (did
the error clear?), and for the chargers whose connection this node holds, takes the next action
a rule asks for. An attempt is written before its command leaves and completed with the answer;
a rule's step is taken once per incident, whichever node gets there first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta

from evfault.alerts.engine import Subject
from evfault.alerts.healing import (
    IN_SESSION,
    Attempt,
    Plan,
    command_of,
    next_action,
    still_trying,
    verdicts,
)
from evfault.alerts.rules import RuleSet
from evfault.context import Services
from evfault.store import healing
from evfault.store.trust_store import TrustStore
from evfault.tracking.model import Incident

log = logging.getLogger("evfault.healing")

HISTORY = timedelta(days=2)  # attempts kept in memory: longer than any sensible window


class Healer:
    def __init__(self, services: Services, held: Callable[[], set[str]],
                 rules: Callable[[], RuleSet], db: TrustStore) -> None:
        self.services = services
        self.held = held  # the chargers whose connection this node holds
        self.rules = rules  # the rules in force (the alerts service keeps them)
        self.db = db
        self.by_incident: dict[str, list[Attempt]] = {}
        self.by_charger: dict[str, list[Attempt]] = {}
        self._acting: set[asyncio.Task[None]] = set()

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.services.clock

    async def start(self) -> None:
        await self._refresh(self.clock())

    async def stop(self) -> None:
        """Cancel the actions still waiting for a charger's answer."""
        for task in tuple(self._acting):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    # ---- what alerts ask ---------------------------------------------------------------------

    def still_trying(self, subject: Subject) -> bool:
        """Self-healing has not given up on this error yet (alerts may stay quiet)."""
        return still_trying(self.rules(), subject, self.by_incident.get(subject.key, []),
                            self.by_charger.get(subject.charger_id, []), self.clock())

    # ---- one round -----------------------------------------------------------------------------

    async def tick(self, incidents: list[Incident] | None = None,
                   now: datetime | None = None) -> list[Plan]:
        """Judge what is due, take the actions due; the plans started (for tests and logs).
        `incidents`: the active ones, when the caller has read them already."""
        now = now or self.clock()
        await self._refresh(now)
        rules = self.rules()
        if incidents is None:
            incidents = await self.services.store.active_incidents()
        active = [Subject.of_incident(i) for i in incidents]
        waiting = [a for found in self.by_incident.values() for a in found if a.waiting]
        for attempt, cleared in verdicts(rules, waiting, {s.key for s in active}, now):
            assert attempt.id is not None
            await self.db.write(healing.judged, attempt.id, cleared, now)
            log.info("%s: %s by %s %s", attempt.charger_id, attempt.action.value, attempt.rule,
                     "cleared the error" if cleared else "did not clear the error")
        if waiting:
            await self._refresh(now)
        plans = []
        held = self.held()
        for subject in active:
            if subject.charger_id in held:
                plan = await self._plan(rules, subject, now)
                if plan is not None:
                    plans.append(plan)
                    self._start(plan, now)
        return plans

    async def _plan(self, rules: RuleSet, subject: Subject, now: datetime) -> Plan | None:
        attempts = self.by_incident.get(subject.key, [])
        on_charger = self.by_charger.get(subject.charger_id, [])
        if next_action(rules, subject, attempts, on_charger, now, in_session=False) is None:
            return None  # cheap answers first: most errors need nothing now
        in_session = any(c.status in IN_SESSION
                         for c in await self.services.store.connectors(subject.charger_id))
        return next_action(rules, subject, attempts, on_charger, now, in_session)

    def _start(self, plan: Plan, now: datetime) -> None:
        task = asyncio.create_task(self._act(plan, now), name="evfault-heal")
        self._acting.add(task)
        task.add_done_callback(self._acting.discard)

    async def _act(self, plan: Plan, now: datetime) -> None:
        s = plan.subject
        attempt = Attempt(s.key, s.charger_id, s.connector_id, plan.rule.name, plan.action,
                          plan.step, now)
        attempt_id = await self.db.write(healing.add, attempt)
        if attempt_id is None:
            return  # another node (or an earlier round) took this step
        self._remember(replace(attempt, id=attempt_id))
        commander = self.services.commander
        assert commander is not None, "the server puts a commander on its services"
        command, args = command_of(plan.action, s.connector_id)
        outcome = await commander.send(s.charger_id, command, args, actor=f"rule:{plan.rule.name}")
        await self.db.write(healing.answered, attempt_id, outcome)
        log.info("%s: self-healing %s (%s) for %s → %s", s.charger_id, plan.action.value,
                 plan.rule.name, s.code, outcome.status.value)

    # ---- memory ----------------------------------------------------------------------------------

    async def _refresh(self, now: datetime) -> None:
        found = await self.db.read(healing.recent, now - HISTORY)
        self.by_incident, self.by_charger = {}, {}
        for attempt in found:
            self._remember(attempt)

    def _remember(self, attempt: Attempt) -> None:
        self.by_incident.setdefault(attempt.incident_id, []).append(attempt)
        self.by_charger.setdefault(attempt.charger_id, []).append(attempt)
