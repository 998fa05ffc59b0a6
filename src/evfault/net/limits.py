"""What one client may take from the server: connections, time, buffers; and how it is told.

Each limit comes from a setting (see docs/operations.md). When one bites, the server logs it,
at most once a minute per limit, with how many times it bit since the last line: a flood must
not become a flood of log lines.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from evfault.settings import Settings

log = logging.getLogger("evfault.net")

LOG_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class Limits:
    """The transport's limits, taken once from the settings (whose table holds the defaults)."""

    header_timeout: float
    tls_handshake_timeout: float
    idle_timeout: float
    max_connections: int
    max_connections_per_address: int
    max_send_buffer: int
    max_request_body: int
    max_request_line: int
    max_header_size: int
    max_message_size: int
    # Header lines per request; no client of this server needs more, and each costs a tuple.
    max_headers: int = 100

    @staticmethod
    def from_settings(s: Settings) -> Limits:
        return Limits(
            header_timeout=s.header_timeout, tls_handshake_timeout=s.tls_handshake_timeout,
            idle_timeout=s.idle_timeout, max_connections=s.max_connections,
            max_connections_per_address=s.max_connections_per_address,
            max_send_buffer=s.max_send_buffer, max_request_body=s.max_request_body,
            max_request_line=s.max_request_line, max_header_size=s.max_header_size,
            max_message_size=s.max_message_size,
        )

    @property
    def pong_timeout(self) -> float:
        """How long a pinged connection may stay silent before it is closed."""
        return min(self.idle_timeout, 60.0)

    @property
    def write_high_water(self) -> int:
        """Above this many unsent bytes the server stops reading from that client."""
        return max(1024, min(64 * 1024, self.max_send_buffer // 4))


class RateLimitedLog:
    """One warning per key per interval, with the count of the ones held back."""

    def __init__(self, logger: logging.Logger = log, every: float = LOG_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._logger = logger
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: object) -> None:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            self._held[key] = self._held.get(key, 0) + 1
            return
        self._last[key] = now
        held = self._held.pop(key, 0)
        suffix = f" ({held} more since the last such line)" if held else ""
        self._logger.warning(message + suffix, *args)


class ConnectionCounter:
    """Open connections in total and per peer address, against their limits."""

    __slots__ = ("_per_address", "limits", "total")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = 0
        self._per_address: dict[str, int] = {}

    def problem(self, address: str) -> str | None:
        """Why one more connection from `address` is refused, or None when it may come in."""
        if self.total >= self.limits.max_connections:
            return f"the server holds its maximum of {self.limits.max_connections} connections"
        if self._per_address.get(address, 0) >= self.limits.max_connections_per_address:
            return (f"{address} holds its maximum of "
                    f"{self.limits.max_connections_per_address} connections")
        return None

    def add(self, address: str) -> None:
        self.total += 1
        self._per_address[address] = self._per_address.get(address, 0) + 1

    def remove(self, address: str) -> None:
        self.total -= 1
        left = self._per_address.get(address, 1) - 1
        if left > 0:
            self._per_address[address] = left
        else:
            self._per_address.pop(address, None)

    def at(self, address: str) -> int:
        return self._per_address.get(address, 0)


SCALE_CHARGERS = 10_000


def raise_fd_limit() -> int:
    """Lift the soft descriptor limit to the hard one where allowed; return the limit in force.

    At the common default of 1,024 descriptors a thousand idle sockets lock every charger out.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, target, exc)
    # Said only when it bites (the design's 10,000 chargers): a normal start stays quiet.
    report = log.warning if soft < SCALE_CHARGERS else log.debug
    report("open-file limit: %d descriptors (about that many chargers at most)", soft)
    return soft
