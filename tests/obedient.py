"""Chargers that obey: the `ocpp` package's ChargePoints with handlers for every command.

Each records the calls it received (action, keyword arguments as the library hands them over)
and answers with a fixed, distinctive payload, so a test can tell the charger's real answer
from anything evfault might make up. `hold` lets a test keep a charger from answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as r16
from ocpp.v16.enums import Action as A16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as r201
from ocpp.v201.enums import Action as A201

from chargers import _charger as connected_charger


def answering(action: str, make: Callable[..., Any]) -> Any:
    async def handler(self: Any, **kwargs: Any) -> Any:
        self.received.append((str(action), kwargs))
        await self.hold.wait()
        return make(**kwargs)

    # The library finds handlers by function name: each needs its own, the attribute's.
    handler.__name__ = handler.__qualname__ = f"on_{action}"
    return on(action)(handler)


def installed(cls: Any) -> Any:
    """Put each handler under the name the library looks it up by."""
    for name, value in list(vars(cls).items()):
        if hasattr(value, "_on_action"):
            delattr(cls, name)
            setattr(cls, value.__name__, value)
    return cls


class Recording:
    received: list[tuple[str, dict[str, Any]]]
    hold: asyncio.Event

    def setup(self) -> None:
        self.received = []
        self.hold = asyncio.Event()
        self.hold.set()


@installed
class Obedient16(ChargePoint16, Recording):  # type: ignore[misc]
    reset = answering(A16.reset, lambda **_: r16.Reset(status="Accepted"))
    trigger = answering(A16.trigger_message, lambda **_: r16.TriggerMessage(status="Accepted"))
    unlock = answering(A16.unlock_connector, lambda **_: r16.UnlockConnector(status="Unlocked"))
    availability = answering(A16.change_availability,
                             lambda **_: r16.ChangeAvailability(status="Scheduled"))
    start_tx = answering(A16.remote_start_transaction,
                         lambda **_: r16.RemoteStartTransaction(status="Accepted"))
    stop_tx = answering(A16.remote_stop_transaction,
                        lambda **_: r16.RemoteStopTransaction(status="Rejected"))
    get_config = answering(A16.get_configuration, lambda **_: r16.GetConfiguration(
        configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "60"}],
        unknown_key=["Nope"]))
    change_config = answering(A16.change_configuration,
                              lambda **_: r16.ChangeConfiguration(status="RebootRequired"))
    diagnostics = answering(A16.get_diagnostics,
                            lambda **_: r16.GetDiagnostics(file_name="diag-16.zip"))
    clear = answering(A16.clear_cache, lambda **_: r16.ClearCache(status="Accepted"))
    transfer = answering(A16.data_transfer,
                         lambda **_: r16.DataTransfer(status="Accepted", data="pong-16"))
    profile = answering(A16.set_charging_profile,
                        lambda **_: r16.SetChargingProfile(status="Accepted"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup()


def _variables(**kwargs: Any) -> Any:
    return r201.GetVariables(get_variable_result=[
        {"attribute_status": "Accepted", "attribute_value": "60", **item}
        for item in [{"component": d["component"], "variable": d["variable"]}
                     for d in kwargs["get_variable_data"]]])


def _set_variables(**kwargs: Any) -> Any:
    return r201.SetVariables(set_variable_result=[
        {"attribute_status": "RebootRequired", "component": d["component"],
         "variable": d["variable"]} for d in kwargs["set_variable_data"]])


@installed
class Obedient201(ChargePoint201, Recording):  # type: ignore[misc]
    reset = answering(A201.reset, lambda **_: r201.Reset(status="Scheduled"))
    trigger = answering(A201.trigger_message, lambda **_: r201.TriggerMessage(status="Accepted"))
    unlock = answering(A201.unlock_connector,
                       lambda **_: r201.UnlockConnector(status="UnlockFailed"))
    availability = answering(A201.change_availability,
                             lambda **_: r201.ChangeAvailability(status="Accepted"))
    start_tx = answering(A201.request_start_transaction, lambda **_: r201.RequestStartTransaction(
        status="Accepted", transaction_id="tx-201"))
    stop_tx = answering(A201.request_stop_transaction,
                        lambda **_: r201.RequestStopTransaction(status="Accepted"))
    get_vars = answering(A201.get_variables, _variables)
    set_vars = answering(A201.set_variables, _set_variables)
    get_log = answering(A201.get_log,
                        lambda **_: r201.GetLog(status="Accepted", filename="log-201.zip"))
    clear = answering(A201.clear_cache, lambda **_: r201.ClearCache(status="Rejected"))
    transfer = answering(A201.data_transfer,
                         lambda **_: r201.DataTransfer(status="UnknownVendorId"))
    profile = answering(A201.set_charging_profile,
                        lambda **_: r201.SetChargingProfile(status="Accepted"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup()


def obedient(ocpp_url: str, charger_id: str, version: str) -> Any:
    """A connected, running obedient charger of `version` ("1.6" or "2.0.1")."""
    if version == "1.6":
        return connected_charger(Obedient16, "ocpp1.6", ocpp_url, charger_id)
    return connected_charger(Obedient201, "ocpp2.0.1", ocpp_url, charger_id)
