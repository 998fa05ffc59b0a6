"""Counters of a simulated fleet, readable while it runs (the benchmark samples them live)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

LATENCY_SAMPLES = 50_000  # a uniform reservoir: memory stays flat however long the run


@dataclass
class FleetStats:
    """What the fleet did. One event loop updates it; readers see a consistent-enough view."""

    chargers: int = 0
    connected: int = 0  # open connections right now
    connects: int = 0  # successful connections, reconnects included
    connect_failures: int = 0
    disconnects: int = 0  # connections dropped (by the scenario or by the server)
    reboots: int = 0
    sent: int = 0  # CALLs sent by the chargers
    answered: int = 0  # CALLRESULTs received for them
    call_errors: int = 0  # CALLERRORs received for them
    timeouts: int = 0  # CALLs that got no answer in time
    lost: int = 0  # CALLs whose connection closed before the answer came
    server_calls: int = 0  # CALLs the central system sent to the chargers
    refused: int = 0  # MREC messages the encoder refused to build (a scenario asking too much)
    last_error: str | None = None
    by_action: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, CALL → CALLRESULT
    site_urls: dict[str, str] = field(default_factory=dict)  # the scenario's meter and EMS
    _seen: int = 0
    _reservoir: random.Random = field(default_factory=lambda: random.Random(0))

    @property
    def errors(self) -> int:
        """Every call that did not get a CALLRESULT."""
        return self.call_errors + self.timeouts + self.lost

    def record_latency(self, seconds: float) -> None:
        self._seen += 1
        if len(self.latencies) < LATENCY_SAMPLES:
            self.latencies.append(seconds)
            return
        slot = self._reservoir.randrange(self._seen)
        if slot < LATENCY_SAMPLES:
            self.latencies[slot] = seconds

    def percentile(self, p: float) -> float | None:
        """The p-th percentile latency in seconds (None before any answer)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[index]

    def snapshot(self) -> dict[str, object]:
        """The counters as plain values (for --json and the benchmark)."""
        return {
            "chargers": self.chargers,
            "site_urls": dict(self.site_urls),
            "connected": self.connected,
            "connects": self.connects,
            "connect_failures": self.connect_failures,
            "disconnects": self.disconnects,
            "reboots": self.reboots,
            "sent": self.sent,
            "answered": self.answered,
            "call_errors": self.call_errors,
            "timeouts": self.timeouts,
            "lost": self.lost,
            "server_calls": self.server_calls,
            "refused": self.refused,
            "last_error": self.last_error,
            "by_action": dict(sorted(self.by_action.items())),
            "latency_ms": {
                name: None if (v := self.percentile(p)) is None else round(v * 1000, 3)
                for name, p in (("p50", 50), ("p95", 95), ("p99", 99))
            },
        }
