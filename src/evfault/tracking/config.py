"""The tracker's knobs, in seconds, and the spans derived from them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Time rules of the tracker (the `reboot_window`, `clock_skew`, … settings)."""

    reboot_window: float = 60.0  # s after a boot in which an active error must be re-reported
    clock_skew: float = 300.0  # s a charger's clock may run ahead of ours and still be believed
    offline_grace: float = 120.0  # s a dropped connection may stay down before it counts
    silence_heartbeats: float = 3.0  # heartbeat intervals of silence that count as offline
    heartbeat_interval: float = 300.0  # s, unless set per charger; 0 turns silence detection off
    max_open_incidents: int = 64  # active incidents one connector may hold; more are refused

    def __post_init__(self) -> None:
        for name in ("reboot_window", "clock_skew", "offline_grace", "silence_heartbeats",
                     "heartbeat_interval", "max_open_incidents"):
            check_non_negative(f"TrackerConfig.{name}", getattr(self, name))

    def silence_span(self, heartbeat_interval: float) -> timedelta | None:
        """How long a connected charger with this interval may stay quiet (None: never judged)."""
        seconds = self.silence_heartbeats * heartbeat_interval
        return timedelta(seconds=seconds) if seconds > 0 else None


def check_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number of zero or more, not {value!r}.")

