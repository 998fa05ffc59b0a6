"""Whether a charger is online: its connection, the grace after a drop, and its silences."""

from __future__ import annotations

from datetime import datetime, timedelta

from evfault.tracking.charger import ChargerState
from evfault.tracking.deadlines import Deadlines, Timer
from evfault.tracking.model import ConnectivityChange

CONNECTED = "connected"  # a connection opened (or a message arrived on none we knew of)
DISCONNECTED = "disconnected"  # the connection closed and stayed closed past the grace
SILENT = "silent"  # connected, but quiet for too many heartbeat intervals
RESTORED = "restored"  # a silent charger spoke again


class Connectivity:
    """Online/offline judgement for chargers; deadlines go into the shared heap."""

    __slots__ = ("_deadlines", "_grace")

    def __init__(self, deadlines: Deadlines, grace: timedelta) -> None:
        self._deadlines = deadlines
        self._grace = grace

    # ---- events ---------------------------------------------------------------------------

    def message(self, c: ChargerState, at: datetime) -> list[ConnectivityChange]:
        """Any message proves the charger is connected and online.

        A message with no connection open happens in log files that do not record
        connections; it counts as the connection opening.
        """
        if not c.connected:
            changes = self._connect(c, at)
        elif c.online is not True:
            changes = [self._online(c, at, RESTORED)]
        else:
            changes = []
        c.spoke = True
        self.saw(c, at)
        return changes

    def connected(self, c: ChargerState, at: datetime) -> list[ConnectivityChange]:
        changes = self._connect(c, at)
        self.saw(c, at)
        return changes

    def disconnected(self, c: ChargerState, at: datetime) -> None:
        """Start the grace; only when it runs out does the charger count as offline."""
        if not c.connected:
            return  # already closed: the first close is the one that counts
        c.connected = False
        c.disconnected_at = at
        c.disarm(Timer.SILENCE)
        if c.online is not False:
            c.arm(self._deadlines, Timer.OFFLINE, at + self._grace)

    def saw(self, c: ChargerState, at: datetime) -> None:
        """Note activity at `at` (times arriving out of order never move it back)."""
        if c.last_seen is None or at > c.last_seen:
            c.last_seen = at
        self.arm_silence(c)

    def arm_silence(self, c: ChargerState) -> None:
        """Make sure a deadline no later than the true silence deadline is in the heap.

        Messages only move `last_seen`; when the armed deadline comes, `silence_due` compares
        with the true one and re-arms. So a heartbeat costs no heap work at all.
        """
        if c.silence is None or not c.connected or c.online is not True or c.last_seen is None:
            c.disarm(Timer.SILENCE)
            return
        deadline = c.last_seen + c.silence
        armed = c.due[Timer.SILENCE]
        if armed is None or deadline < armed:
            c.arm(self._deadlines, Timer.SILENCE, deadline)

    # ---- deadlines --------------------------------------------------------------------------

    def offline_due(self, c: ChargerState) -> list[ConnectivityChange]:
        """The grace ran out with no reconnection: offline since its last message, or since
        the drop if it sent nothing on that connection."""
        went = c.disconnected_at
        if c.connected or c.online is False or went is None:
            return []
        c.online = False
        if c.spoke and c.last_seen is not None and c.last_seen < went:
            went = c.last_seen
        return [ConnectivityChange(c.charger_id, False, went, DISCONNECTED)]

    def silence_due(self, c: ChargerState, now: datetime) -> list[ConnectivityChange]:
        """The armed silence deadline came: offline if it really was quiet, else re-arm."""
        if c.silence is None or not c.connected or c.online is not True or c.last_seen is None:
            return []
        deadline = c.last_seen + c.silence
        if now < deadline:
            c.arm(self._deadlines, Timer.SILENCE, deadline)
            return []
        c.online = False
        return [ConnectivityChange(c.charger_id, False, c.last_seen, SILENT)]

    # ---- helpers ----------------------------------------------------------------------------

    def _connect(self, c: ChargerState, at: datetime) -> list[ConnectivityChange]:
        c.connected = True
        c.spoke = False
        c.disconnected_at = None
        c.disarm(Timer.OFFLINE)  # back within the grace: the drop never counted
        if c.online is True:
            return []
        return [self._online(c, at, CONNECTED)]

    @staticmethod
    def _online(c: ChargerState, at: datetime, reason: str) -> ConnectivityChange:
        c.online = True
        return ConnectivityChange(c.charger_id, True, at, reason)
