"""Site test chargers: the `ocpp` package's ChargePoint, keeping the limits it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201


def _limit(profile: dict[str, Any]) -> tuple[int, float]:
    schedule = profile["charging_schedule"]
    if isinstance(schedule, list):
        schedule = schedule[0]
    return profile["stack_level"], float(schedule["charging_schedule_period"][0]["limit"])


class Obeying:
    """Keeps the limit of each stack level; `limit_a` is the one in force (the highest level)."""

    refuse = False

    def _init_limits(self) -> None:
        self.config: dict[str, str] = {}
        self.levels: dict[int, float] = {}
        self.received: list[tuple[int, float]] = []
        self.purposes: list[str] = []

    def keep(self, profile: dict[str, Any]) -> str:
        self.purposes.append(profile["charging_profile_purpose"])
        if self.refuse:
            return "Rejected"
        level, limit = _limit(profile)
        self.levels[level] = limit
        self.received.append((level, limit))
        return "Accepted"

    @property
    def limit_a(self) -> float | None:
        return self.levels[max(self.levels)] if self.levels else None


class Charger16(Obeying, ChargePoint16):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_limits()

    @on(Action16.set_charging_profile)
    def on_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any],
                   **_: Any) -> Any:
        return result16.SetChargingProfile(status=self.keep(cs_charging_profiles))

    @on(Action16.change_configuration)
    def on_configuration(self, key: str, value: str, **_: Any) -> Any:
        self.config[key] = value
        return result16.ChangeConfiguration(status="Accepted")


class Charger201(Obeying, ChargePoint201):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_limits()

    @on(Action201.set_charging_profile)
    def on_profile(self, evse_id: int, charging_profile: dict[str, Any], **_: Any) -> Any:
        return result201.SetChargingProfile(status=self.keep(charging_profile))


@asynccontextmanager
async def site_charger(ocpp_url: str, charger_id: str, version: str = "1.6",
                       refuse: bool = False) -> AsyncIterator[Any]:
    cls, protocol = (Charger16, "ocpp1.6") if version == "1.6" else (Charger201, "ocpp2.0.1")
    async with websockets.connect(f"{ocpp_url}/{charger_id}", subprotocols=[protocol]) as ws:
        cp = cls(charger_id, ws)
        cp.refuse = refuse
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task
