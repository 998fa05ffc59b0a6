"""OCPP 2.0.1 as a virtual charger speaks it: faults are NotifyEvent (ChargeX techCode, cleared
when they end), statuses are StatusNotification per EVSE, sessions are TransactionEvent.

Each connector of the simulated charger is an EVSE of its own with one connector (evseId = the
connector's number, connectorId 1); faults about the whole station sit on ChargingStation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evfault.sim.dialect import answer_with, remote_stop, set_charging_profile
from evfault.sim.link import Reply
from evfault.sim.mrec import Condition, build_notify_event, utc_text
from evfault.sim.state import ActiveFault, Connector, Phase

if TYPE_CHECKING:
    from evfault.sim.charger import VirtualCharger

_TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification")
_DEFAULT_INTERVAL = 300.0
# OCPP 1.6 StopTransaction reasons the charger uses → 2.0.1 ReasonEnumType.
_STOPPED_REASON = {"EVDisconnected": "EVDisconnected", "Remote": "Remote", "Reboot": "Reboot",
                   "Other": "Other"}
_HEARTBEAT = ("OCPPCommCtrlr", "HeartbeatInterval")


class V201Dialect:
    subprotocol = "ocpp2.0.1"

    async def boot(self, ch: VirtualCharger) -> tuple[bool, float]:
        reply = await ch.call("BootNotification", {
            "reason": ch.boot_reason,
            "chargingStation": {"model": ch.model.model, "vendorName": ch.model.vendor,
                                "serialNumber": ch.ident[-25:],
                                "firmwareVersion": ch.model.firmware},
        })
        if reply is None:
            return False, 0.0
        interval = reply.get("interval")
        seconds = float(interval) if isinstance(interval, int | float) and interval > 0 else \
            _DEFAULT_INTERVAL
        return reply.get("status") == "Accepted", seconds

    async def announce(self, ch: VirtualCharger, connector: Connector) -> None:
        for fault in connector.faults:
            await self._events(ch, connector, fault.conditions, cleared=False)
        if connector.id > 0:
            await self._status(ch, connector)

    async def plug_in(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._status(ch, connector, "Occupied")
        connector.tx_id = f"{ch.ident}-{ch.next_event_id()}"[-36:]
        connector.tx_seq = 0
        await self._transaction(ch, connector, "Started", "CablePluggedIn", "EVConnected")

    async def start(self, ch: VirtualCharger, connector: Connector) -> None:
        await ch.call("Authorize", {"idToken": self._token(connector)})
        await self._transaction(ch, connector, "Updated", "Authorized", "Charging",
                                idToken=self._token(connector))

    async def meter(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._transaction(ch, connector, "Updated", "MeterValuePeriodic",
                                _charging_state(connector), meterValue=self._meter(ch, connector))

    async def suspend(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._transaction(ch, connector, "Updated", "ChargingStateChanged", "SuspendedEV")

    async def stop(self, ch: VirtualCharger, connector: Connector, reason: str) -> None:
        trigger = "AbnormalCondition" if connector.faults else "EVCommunicationLost"
        await self._transaction(
            ch, connector, "Ended", trigger, "EVConnected",
            stoppedReason=_STOPPED_REASON.get(reason, "Other"),
            meterValue=self._meter(ch, connector),
        )

    async def unplug(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._status(ch, connector)

    async def fault_raised(
        self, ch: VirtualCharger, connector: Connector, fault: ActiveFault
    ) -> None:
        payloads = self._notify(ch, connector, fault.conditions, cleared=False)
        for payload in payloads:
            await ch.call("NotifyEvent", payload)
        if connector.id > 0 and len(connector.faults) == 1:
            await self._status(ch, connector, "Faulted")

    async def fault_cleared(
        self, ch: VirtualCharger, connector: Connector, fault: ActiveFault
    ) -> None:
        await self._events(ch, connector, fault.conditions, cleared=True)
        if connector.id > 0 and not connector.faults:
            await self._status(ch, connector)

    def answer(self, ch: VirtualCharger, action: str, payload: dict[str, Any]) -> Reply:
        return answer_with(_ANSWERS, ch, action, payload)

    # -- building ------------------------------------------------------------------------------

    def _notify(
        self, ch: VirtualCharger, connector: Connector, conditions: tuple[Condition, ...],
        cleared: bool,
    ) -> list[dict[str, Any]]:
        return [
            build_notify_event(
                c.code, evse_id=connector.id, connector_id=1, event_id=ch.next_event_id(),
                cleared=cleared, reading=c.reading, timestamp=ch.timestamp(), catalog=ch.catalog,
            )
            for c in conditions
        ]

    async def _events(
        self, ch: VirtualCharger, connector: Connector, conditions: tuple[Condition, ...],
        cleared: bool,
    ) -> None:
        for payload in self._notify(ch, connector, conditions, cleared):
            await ch.call("NotifyEvent", payload)

    async def _status(self, ch: VirtualCharger, connector: Connector, status: str | None = None
                      ) -> None:
        await ch.call("StatusNotification", {
            "timestamp": utc_text(ch.timestamp()),
            "connectorStatus": status or connector.status_201(),
            "evseId": connector.id,
            "connectorId": 1,
        })

    async def _transaction(
        self, ch: VirtualCharger, connector: Connector, event: str, trigger: str, state: str,
        **extra: Any,
    ) -> None:
        info: dict[str, Any] = {"transactionId": str(connector.tx_id), "chargingState": state}
        if "stoppedReason" in extra:
            info["stoppedReason"] = extra.pop("stoppedReason")
        await ch.call("TransactionEvent", {
            "eventType": event,
            "timestamp": utc_text(ch.timestamp()),
            "triggerReason": trigger,
            "seqNo": connector.tx_seq,
            "transactionInfo": info,
            "evse": {"id": connector.id, "connectorId": 1},
            **extra,
        })
        connector.tx_seq += 1

    @staticmethod
    def _token(connector: Connector) -> dict[str, Any]:
        return {"idToken": connector.id_tag, "type": "ISO14443"}

    @staticmethod
    def _meter(ch: VirtualCharger, connector: Connector) -> list[dict[str, Any]]:
        return [{
            "timestamp": utc_text(ch.timestamp()),
            "sampledValue": [{"value": round(connector.energy_wh, 1),
                              "measurand": "Energy.Active.Import.Register"}],
        }]


def _charging_state(connector: Connector) -> str:
    return "Charging" if connector.phase is Phase.CHARGING else "SuspendedEV"


# -- answers to the central system -----------------------------------------------------------

def _reset(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    ch.later(lambda: ch.reboot(reason="RemoteReset"))
    return {"status": "Accepted"}


def _trigger(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    message = payload.get("requestedMessage")
    if message not in _TRIGGERABLE:
        return {"status": "NotImplemented"}

    async def send() -> None:
        if message == "BootNotification":
            await V201Dialect().boot(ch)
        elif message == "Heartbeat":
            await ch.call("Heartbeat", {})
        else:
            for connector in ch.connectors[1:]:
                await V201Dialect()._status(ch, connector)

    ch.later(send)
    return {"status": "Accepted"}


def _change_availability(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    evse = payload.get("evse")
    wanted = evse.get("id") if isinstance(evse, dict) else None
    targets = [c for c in ch.connectors[1:] if wanted in (None, 0, c.id)]
    if not targets:
        return {"status": "Rejected"}
    unavailable = payload.get("operationalStatus") == "Inoperative"
    busy = False
    for connector in targets:
        connector.unavailable = unavailable
        busy = busy or connector.in_session

    async def send() -> None:
        for connector in targets:
            if not connector.in_session:
                await V201Dialect()._status(ch, connector)

    ch.later(send)
    return {"status": "Scheduled" if busy else "Accepted"}


def _request_start(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    wanted = payload.get("evseId")
    free = [c for c in ch.connectors[1:] if (wanted is None or c.id == wanted)
            and not c.in_session and not c.faults and not c.unavailable]
    token = payload.get("idToken")
    if not free or not isinstance(token, dict):
        return {"status": "Rejected"}
    ch.later(lambda: ch.begin_session(free[0], str(token.get("idToken", ""))[:36]))
    return {"status": "Accepted"}


def _variable_key(item: Any) -> tuple[str, str]:
    component = item.get("component", {}) if isinstance(item, dict) else {}
    variable = item.get("variable", {}) if isinstance(item, dict) else {}
    return str(component.get("name", "")), str(variable.get("name", ""))


def _get_variables(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    results = []
    for item in payload.get("getVariableData") or []:
        known = _variable_key(item) == _HEARTBEAT
        result: dict[str, Any] = {
            "attributeStatus": "Accepted" if known else "UnknownVariable",
            "component": item.get("component", {"name": ""}),
            "variable": item.get("variable", {"name": ""}),
        }
        if known:
            result["attributeValue"] = f"{ch.heartbeat_interval:.0f}"
        results.append(result)
    return {"getVariableResult": results}


def _set_variables(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    results = []
    for item in payload.get("setVariableData") or []:
        status = "UnknownVariable"
        if _variable_key(item) == _HEARTBEAT:
            try:
                ch.change_heartbeat(float(item.get("attributeValue", "")))
                status = "Accepted"
            except ValueError:
                status = "Rejected"
        results.append({"attributeStatus": status,
                        "component": item.get("component", {"name": ""}),
                        "variable": item.get("variable", {"name": ""})})
    return {"setVariableResult": results}


_ANSWERS: dict[str, Callable[[VirtualCharger, dict[str, Any]], Reply]] = {
    "Reset": _reset,
    "TriggerMessage": _trigger,
    "ChangeAvailability": _change_availability,
    "RequestStartTransaction": _request_start,
    "RequestStopTransaction": remote_stop,
    "SetChargingProfile": set_charging_profile,
    "GetVariables": _get_variables,
    "SetVariables": _set_variables,
    "UnlockConnector": lambda ch, payload: {"status": "Unlocked"},
    "ClearCache": lambda ch, payload: {"status": "Accepted"},
    "DataTransfer": lambda ch, payload: {"status": "UnknownVendorId"},
}
