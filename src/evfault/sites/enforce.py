"""Enforcement: each connected charger of a site gets its allocation as a charging profile.

A limit is sent when it falls (at once, always: the fuse needs it) or rises by more than the
dead band, and renewed before its profile runs out. Falls go out before rises, so the chargers'
limits never sum above the site's limit in between. Every call goes through the commander (it
records the command and the charger's answer); a charger that refuses both profile kinds is
flagged, and the allocation then treats it as uncontrolled (it may draw its full capacity).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from evfault.commands.model import CommandOutcome, CommandStatus
from evfault.context import Services
from evfault.sites.model import ChargerSpec, ChargerState, Share, Site
from evfault.sites.profiles import TX_DEFAULT, fallback_profile, limit_profile

log = logging.getLogger("evfault.sites")

ACTOR = "sites"
# A charger that does not answer must not hold the site's next recompute for the commander's
# full timeout: its limit is sent again a second later anyway.
PROFILE_TIMEOUT_S = 10.0
REFUSED = (CommandStatus.REJECTED, CommandStatus.NOT_SUPPORTED, CommandStatus.ERROR,
           CommandStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Sent:
    """The limit a charger accepted and until when its profile holds."""

    limit_a: float
    at: datetime
    until: datetime
    purpose: str | None = None  # None: the version's max profile; else TxDefaultProfile


@dataclass(frozen=True, slots=True)
class EnforceConfig:
    dead_band_a: float = 1.0
    hold_s: float = 120.0  # a sent limit's profile runs out after this; renewed at half

    @property
    def hold(self) -> timedelta:
        return timedelta(seconds=self.hold_s)


class Enforcer:
    def __init__(self, services: Services, config: EnforceConfig | None = None) -> None:
        self.services = services
        self.config = config or EnforceConfig()
        self.sent: dict[str, Sent] = {}
        self.flagged: dict[str, str] = {}  # charger id → why its profiles do not work
        self.answers: dict[str, CommandOutcome] = {}  # the latest answer of each charger
        self.config_answers: dict[str, CommandOutcome] = {}  # setting its fallback key
        self._fallback_set: set[str] = set()
        self._lock = asyncio.Lock()

    def held(self, now: datetime) -> dict[str, float]:
        """Limits still in force on chargers (their profile has not run out)."""
        return {cid: s.limit_a for cid, s in self.sent.items() if s.until > now}

    def disconnected(self, charger_id: str) -> None:
        """Its connection ended: the next one installs the fallback again and may try profiles
        anew (the charger may have been reset or updated)."""
        self._fallback_set.discard(charger_id)
        self.flagged.pop(charger_id, None)
        self.config_answers.pop(charger_id, None)

    def due(self, share: Share, now: datetime) -> bool:
        last = self.sent.get(share.charger_id)
        if last is None or last.until <= now:
            return True
        if share.allocated_a < last.limit_a:
            return True  # a fall is never held back
        if share.allocated_a - last.limit_a > self.config.dead_band_a:
            return True
        return last.until - now < self.config.hold / 2

    async def apply(self, site: Site, shares: tuple[Share, ...]) -> None:
        """Send what is due: falls first, then rises."""
        async with self._lock:
            now = self.services.clock()
            live = [s for s in shares if s.state is not ChargerState.OFFLINE
                    and s.charger_id not in self.flagged and self.due(s, now)]
            falls = [s for s in live if s.allocated_a < self._last(s.charger_id)]
            rises = [s for s in live if s not in falls]
            for group in (falls, rises):
                await asyncio.gather(*(self._enforce(site, s) for s in group))

    def _last(self, charger_id: str) -> float:
        sent = self.sent.get(charger_id)
        return sent.limit_a if sent else float("inf")

    async def _enforce(self, site: Site, share: Share) -> None:
        charger = site.charger(share.charger_id)
        if charger is None:
            return
        try:
            if charger.id not in self._fallback_set:
                await self._install_fallback(site, charger)
            await self._send_limit(site, charger, share.allocated_a)
        except Exception:  # one charger's trouble must not stop the others' limits
            log.exception("%s: sending its site limit failed", charger.id)

    async def _version(self, charger_id: str) -> str:
        commander = self.services.commander
        session = commander.central.sessions.get(charger_id) if commander else None
        if session is not None:
            return session.version
        row = await self.services.store.charger(charger_id)
        return row.protocol if row and row.protocol else "1.6"

    async def _call(self, charger_id: str, profile: dict[str, object]) -> CommandOutcome | None:
        commander = self.services.commander
        if commander is None:
            return None
        outcome = await commander.send(charger_id, "set_charging_profile",
                                       {"connector_id": 0, "profile": profile}, actor=ACTOR,
                                       timeout=PROFILE_TIMEOUT_S)
        self.answers[charger_id] = outcome
        return outcome

    async def _set_fallback_key(self, charger: ChargerSpec) -> None:
        """The charger's own fallback setting, where the site file names its key."""
        commander = self.services.commander
        if (commander is None or charger.fallback_key is None or not charger.fallback_enabled
                or charger.id in self.config_answers):
            return
        outcome = await commander.send(
            charger.id, "change_configuration",
            {"key": charger.fallback_key, "value": f"{charger.fallback_current_a:g}"},
            actor=ACTOR, timeout=PROFILE_TIMEOUT_S)
        self.config_answers[charger.id] = outcome

    async def _install_fallback(self, site: Site, charger: ChargerSpec) -> None:
        await self._set_fallback_key(charger)
        if charger.fallback_current_a is None:
            self._fallback_set.add(charger.id)  # none to install: full capacity is reserved
            return
        version = await self._version(charger.id)
        now = self.services.clock()
        outcome = await self._call(charger.id, fallback_profile(
            version, charger.fallback_current_a, now, phases=site.phases))
        if outcome is not None and outcome.status is CommandStatus.ACCEPTED:
            self._fallback_set.add(charger.id)
        elif outcome is not None and outcome.status in REFUSED:
            purpose = TX_DEFAULT if version == "1.6" else None
            if purpose is not None:
                retry = await self._call(charger.id, fallback_profile(
                    version, charger.fallback_current_a, now, purpose, site.phases))
                if retry is not None and retry.status is CommandStatus.ACCEPTED:
                    self._fallback_set.add(charger.id)

    async def _send_limit(self, site: Site, charger: ChargerSpec, limit_a: float) -> None:
        version = await self._version(charger.id)
        now = self.services.clock()
        previous = self.sent.get(charger.id)
        purpose = previous.purpose if previous else None
        outcome = await self._call(charger.id, limit_profile(
            version, limit_a, now, self.config.hold_s, purpose, site.phases))
        if outcome is None:
            return
        if outcome.status in REFUSED and purpose is None and version == "1.6":
            purpose = TX_DEFAULT
            outcome = await self._call(charger.id, limit_profile(
                version, limit_a, now, self.config.hold_s, purpose, site.phases)) or outcome
        if outcome.status is CommandStatus.ACCEPTED:
            self.sent[charger.id] = Sent(limit_a, now, now + self.config.hold, purpose)
            self.flagged.pop(charger.id, None)
        elif outcome.status in REFUSED:
            reason = outcome.error or f"answered {outcome.answer!r}"
            self.flagged[charger.id] = reason
            log.warning("%s refuses charging profiles (%s): its whole capacity is counted as "
                        "drawn while it charges", charger.id, reason)
