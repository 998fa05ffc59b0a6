"""Everything the tracker holds about one charger, kept small: 10,000 of these live at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from evfault.tracking.connector import ConnectorState
from evfault.tracking.deadlines import TIMERS, Deadlines, Timer


class ChargerState:
    """Connectors, connectivity and the charger's live deadlines."""

    __slots__ = (
        "booted_at",
        "charger_id",
        "connected",
        "connectors",
        "disconnected_at",
        "due",
        "first_seen",
        "last_seen",
        "next_due",
        "online",
        "reconcile_until",
        "silence",
        "spoke",
        "steady",
        "tokens",
    )

    def __init__(self, charger_id: str, silence: timedelta | None) -> None:
        self.charger_id = charger_id
        self.connectors: dict[int, ConnectorState] = {}
        self.connected = False  # a connection is open (or presumed open after a restore)
        self.online: bool | None = None  # None: never judged
        self.last_seen: datetime | None = None  # last message or connection
        self.spoke = False  # a message arrived since the connection opened
        self.booted_at: datetime | None = None
        self.first_seen: datetime | None = None  # earliest time the charger was heard of
        # Until then, an "all is well" status answers our request for it (see Tracker.reconcile).
        self.reconcile_until: datetime | None = None
        self.disconnected_at: datetime | None = None
        self.silence = silence  # quiet time that counts as offline; None: not judged
        self.due: list[datetime | None] = [None] * len(TIMERS)  # per Timer: when, if armed
        self.tokens: list[int] = [0] * len(TIMERS)  # per Timer: its live heap entry
        # Cached so a heartbeat is one lookup and two comparisons (see Tracker.heard).
        self.next_due: datetime | None = None
        self.steady = False

    def connector(self, connector_id: int) -> ConnectorState:
        conn = self.connectors.get(connector_id)
        if conn is None:
            conn = self.connectors[connector_id] = ConnectorState()
        return conn

    # ---- deadlines ------------------------------------------------------------------------

    def arm(self, deadlines: Deadlines, timer: Timer, when: datetime) -> None:
        """Set (or move) a deadline; an entry it replaces goes stale in the heap."""
        self.tokens[timer] = deadlines.push(when, self.charger_id, timer)
        self.due[timer] = when

    def disarm(self, timer: Timer) -> None:
        self.tokens[timer] = 0
        self.due[timer] = None

    def owns(self, token: int, timer: Timer) -> bool:
        """Whether a heap entry is this charger's live one for that timer."""
        return token != 0 and self.tokens[timer] == token

    def earliest(self) -> Timer | None:
        """The armed timer that falls due first."""
        best: Timer | None = None
        best_when: datetime | None = None
        for timer in TIMERS:
            when = self.due[timer]
            if when is not None and (best_when is None or when < best_when):
                best, best_when = timer, when
        return best

    def settle(self) -> None:
        """Refresh the cached fast-path facts after any change of state."""
        first = self.earliest()
        self.next_due = None if first is None else self.due[first]
        self.steady = (
            self.connected and self.spoke and self.online is True and self.last_seen is not None
        )
