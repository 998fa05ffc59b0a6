"""The central system: every charger's connection, and the I/O around the one message path.

The pure work on a message (parse, handler, tracker, the rows to store) is done by
evfault.pipeline.MessagePath. Here it is committed: the rows land in one WriteBatch, the store
commits it (grouped with other chargers' batches), and only then are the changes published and
the charger answered. So nothing a charger sees acknowledged is ever lost, and the dashboard
never shows what the database does not hold.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from evfault.auth.tags import TagBook, UnknownTags
from evfault.context import Services
from evfault.net.limits import RateLimitedLog
from evfault.ocpp.guard import Bounds
from evfault.ocpp.load import LoadWatch, busy_retry_interval
from evfault.pipeline import MessagePath, PathConfig, Processed, tick_batch
from evfault.tracking.model import Change, ConnectivityChange
from evfault.tracking.tracker import Tracker, TrackerConfig

if TYPE_CHECKING:
    from evfault.ocpp.session import Session

log = logging.getLogger("evfault.ocpp")


def tracker_config(services: Services) -> TrackerConfig:
    s = services.settings
    return TrackerConfig(
        reboot_window=s.reboot_window,
        clock_skew=s.clock_skew,
        offline_grace=s.offline_grace,
        silence_heartbeats=s.silence_heartbeats,
        heartbeat_interval=s.heartbeat_interval,
        max_open_incidents=s.max_open_incidents,
    )


def path_config(services: Services) -> PathConfig:
    s = services.settings
    return PathConfig(heartbeat_interval=s.heartbeat_interval,
                      bounds=Bounds(s.max_codes_per_message, s.max_info_length),
                      bad_frames_per_hour=s.max_bad_frames_per_hour,
                      bad_frame_keep=s.max_bad_frame_log)


def new_incident_id() -> str:
    """A random UUID4 as 32 hex digits, like `uuid.uuid4().hex` at half the cost (no object)."""
    n = int.from_bytes(os.urandom(16), "big")
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # variant: RFC 4122
    n = (n & ~(0xF000 << 64)) | (4 << 76)  # version 4
    return f"{n:032x}"


class CentralSystem:
    def __init__(self, services: Services, tracker: Tracker | None = None,
                 node: str | None = None) -> None:
        self.services = services
        self.tracker = tracker or Tracker(tracker_config(services), new_incident_id)
        self.node = node or socket.gethostname()
        self.sessions: dict[str, Session] = {}
        # The idTag allow-list the handlers answer by (filled and kept current by TagList).
        self.tags = TagBook(UnknownTags(services.settings.unknown_tags))
        self.path = MessagePath(self.tracker, path_config(services), tags=self.tags)
        self.load = LoadWatch(services.settings.boot_defer_lag)
        self._known: set[str] = set()
        self._stale: set[str] = set()  # chargers whose reload from the store failed
        self._ticker: asyncio.Task[None] | None = None
        # Told of every live connection a newer one replaced (the trust layer's flap detector).
        self.on_replace: Callable[[str], None] | None = None
        # Told of every connection once it is recorded (the reconciler asks for its status).
        self.after_connect: Callable[[Session], None] | None = None
        # A charger that sends bad frames all day gets one line a minute for them, not one per
        # frame: the next line says how many were held back.
        self.bad_frames_log = RateLimitedLog(log)

    # ---- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild the tracker from the store (active incidents survive a restart).

        Only the chargers this node held are taken: several nodes may share one database, and
        a charger another node holds must not fall silent (and offline) in this one's tracker.
        """
        state = await self.services.store.load_state()
        mine = {c.charger_id for c in state.chargers if c.node in (None, self.node)}
        self.tracker.restore([i for i in state.incidents if i.charger_id in mine],
                             [c for c in state.connectors if c.charger_id in mine],
                             [c for c in state.chargers if c.charger_id in mine])
        self._known.update(mine)
        self.path.vendors.update({c.charger_id: c.vendor for c in state.chargers if c.vendor})
        self._ticker = asyncio.create_task(self._tick_forever(), name="evfault-ticker")
        self.load.start()

    def busy_retry(self, charger_id: str) -> int | None:
        """While the loop lags (a reconnect storm), when a booting charger should come back."""
        return busy_retry_interval(charger_id) if self.load.busy else None

    async def stop(self) -> None:
        await self.load.stop()
        if self._ticker:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
        for session in list(self.sessions.values()):
            await session.close(1001, "server shutting down")

    # ---- sessions ---------------------------------------------------------------------

    def attach(self, session: Session) -> Session | None:
        """Register a new connection; return the one it replaces (same charger id), if any."""
        previous = self.sessions.get(session.charger_id)
        self.sessions[session.charger_id] = session
        if previous is not None and self.on_replace is not None:
            self.on_replace(session.charger_id)
        return previous

    def owns(self, session: Session) -> bool:
        return self.sessions.get(session.charger_id) is session

    async def take_over(self, charger_id: str) -> None:
        """Load a charger's state that another node (or a past run) left in the store."""
        store = self.services.store
        charger = await store.charger(charger_id)
        if charger is not None:
            self.tracker.restore(await store.active_incidents(charger_id),
                                 await store.connectors(charger_id), [charger])
            if charger.vendor:
                self.path.vendors[charger_id] = charger.vendor
        self._known.add(charger_id)

    async def connected(self, session: Session, at: datetime) -> None:
        if session.charger_id not in self._known:
            await self.take_over(session.charger_id)
        await self.commit(self.path.connected(session.charger_id, session.version, at,
                                              self.node))
        if self.after_connect is not None:
            self.after_connect(session)

    async def disconnected(self, session: Session, at: datetime) -> None:
        session.abandon_calls()
        if not self.owns(session):
            return  # replaced by a newer connection: the charger never went away
        del self.sessions[session.charger_id]
        await self.commit(self.path.disconnected(session.charger_id, at))

    # ---- committing what the message path produced ------------------------------------------

    async def commit(self, done: Processed, charger_id: str | None = None) -> bool:
        """Store what a message caused, then publish its changes; False if the store failed.

        When the store refuses, the tracker has already moved on: the chargers concerned are
        reloaded from the store, so memory again holds exactly what was acknowledged."""
        try:
            await self.services.store.write(done.batch)
        except Exception:
            log.exception("storing %s failed", done.action or "a change")
            touched = {c.charger_id for c in done.changes}
            if charger_id is not None:
                touched.add(charger_id)
            await self.resync(sorted(touched))
            return False
        publish = self.services.bus.publish
        for change in done.changes:
            publish(change)
        return True

    async def resync(self, charger_ids: list[str]) -> None:
        """Reload these chargers' tracker state from the store (after a refused write).

        If the store cannot even be read, they are tried again on every tick."""
        for charger_id in charger_ids:
            try:
                await self.take_over(charger_id)
            except Exception:
                log.warning("%s: reloading its state from the store failed; retrying",
                            charger_id, exc_info=True)
                self._stale.add(charger_id)
            else:
                self._stale.discard(charger_id)

    async def tick(self, now: datetime | None = None) -> list[Change]:
        """Apply time-driven changes (offline after the grace period, reboot windows).

        Each charger's changes are one write of their own (grouped into one commit by the
        writer): a charger whose rows the store refuses is reloaded, and every other charger's
        changes are stored and published all the same."""
        if self._stale:
            await self.resync(sorted(self._stale))
        changes = await self._held_here(self.path.tick(now or self.services.clock()))
        by_charger: dict[str, list[Change]] = {}
        for change in changes:
            by_charger.setdefault(change.charger_id, []).append(change)
        done = await asyncio.gather(*(self._commit_tick(charger_id, own)
                                      for charger_id, own in by_charger.items()))
        return [change for own in done for change in own]

    async def _commit_tick(self, charger_id: str, changes: list[Change]) -> list[Change]:
        try:
            await self.services.store.write(tick_batch(changes))
        except Exception:
            log.exception("%s: storing its time-driven changes failed", charger_id)
            await self.resync([charger_id])
            return []
        for change in changes:
            self.services.bus.publish(change)
        return changes

    async def _held_here(self, changes: list[Change]) -> list[Change]:
        """Drop 'offline' for chargers that reconnected to another node meanwhile."""
        moved: set[str] = set()
        for change in changes:
            if isinstance(change, ConnectivityChange) and not change.online:
                row = await self.services.store.charger(change.charger_id)
                if row is not None and row.node not in (None, self.node) and row.online:
                    moved.add(change.charger_id)
        for charger_id in moved:
            log.info("%s: now held by another node; this one forgets it", charger_id)
            self.tracker.forget(charger_id)
            self._known.discard(charger_id)
        return [c for c in changes if c.charger_id not in moved]

    def _tick_period(self) -> float:
        s = self.services.settings
        return max(0.05, min(1.0, s.offline_grace / 4, s.reboot_window / 4))

    async def _tick_forever(self) -> None:
        period = self._tick_period()
        while True:
            await asyncio.sleep(period)
            try:
                await self.tick()
            except Exception:  # keep ticking: one failed write must not stop offline detection
                log.exception("periodic tracker tick failed")
