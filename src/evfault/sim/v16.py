"""OCPP 1.6J as a virtual charger speaks it: StatusNotification carries every fault.

EVgo MREC faults replace the connector's whole set each time (a compound code lists every active
code); ChargeX faults are raised one message per code and cleared one at a time with info
"Error CXnnn resolved"; plain OCPP errors travel in errorCode. NoError says all is clear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evfault.sim.breakage import break_payload
from evfault.sim.dialect import answer_with, remote_stop, set_charging_profile
from evfault.sim.link import Reply
from evfault.sim.mrec import build_no_error, build_resolved, build_status_notification, utc_text
from evfault.sim.state import VOLTS_3PHASE, ActiveFault, Connector, Phase

if TYPE_CHECKING:
    from evfault.sim.charger import VirtualCharger

_TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues")
_DEFAULT_INTERVAL = 300.0


class V16Dialect:
    subprotocol = "ocpp1.6"

    async def boot(self, ch: VirtualCharger) -> tuple[bool, float]:
        reply = await ch.call("BootNotification", {
            "chargePointVendor": ch.model.vendor,
            "chargePointModel": ch.model.model,
            "chargePointSerialNumber": ch.ident[-25:],
            "firmwareVersion": ch.model.firmware,
        })
        if reply is None:
            return False, 0.0
        interval = reply.get("interval")
        seconds = float(interval) if isinstance(interval, int | float) and interval > 0 else \
            _DEFAULT_INTERVAL
        return reply.get("status") == "Accepted", seconds

    async def announce(self, ch: VirtualCharger, connector: Connector) -> None:
        if connector.faults:
            for payload in self._active(ch, connector):
                await ch.call("StatusNotification", payload)
        else:
            await self._status(ch, connector)

    async def plug_in(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._status(ch, connector, "Preparing")

    async def start(self, ch: VirtualCharger, connector: Connector) -> None:
        await ch.call("Authorize", {"idTag": connector.id_tag})
        reply = await ch.call("StartTransaction", {
            "connectorId": connector.id,
            "idTag": connector.id_tag,
            "meterStart": int(connector.energy_wh),
            "timestamp": utc_text(ch.timestamp()),
        })
        tx = reply.get("transactionId") if reply else None
        connector.tx_id = tx if isinstance(tx, int) else 0
        await self._status(ch, connector, "Charging")

    async def meter(self, ch: VirtualCharger, connector: Connector) -> None:
        current = ch.current_a(connector)
        power = current * VOLTS_3PHASE
        await ch.call("MeterValues", {
            "connectorId": connector.id,
            "transactionId": connector.tx_id if isinstance(connector.tx_id, int) else 0,
            "meterValue": [{
                "timestamp": utc_text(ch.timestamp()),
                "sampledValue": [
                    {"value": f"{connector.energy_wh:.0f}",
                     "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": f"{power:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                    {"value": f"{current:.1f}", "measurand": "Current.Import", "unit": "A"},
                ],
            }],
        })

    async def suspend(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._status(ch, connector, "SuspendedEV")

    async def stop(self, ch: VirtualCharger, connector: Connector, reason: str) -> None:
        await ch.call("StopTransaction", {
            "transactionId": connector.tx_id if isinstance(connector.tx_id, int) else 0,
            "idTag": connector.id_tag,
            "meterStop": int(connector.energy_wh),
            "timestamp": utc_text(ch.timestamp()),
            "reason": reason,
        })
        if not connector.faults:
            await self._status(ch, connector, "Finishing")

    async def unplug(self, ch: VirtualCharger, connector: Connector) -> None:
        await self._status(ch, connector)

    async def fault_raised(
        self, ch: VirtualCharger, connector: Connector, fault: ActiveFault
    ) -> None:
        # Build everything first: the encoder refuses before anything is sent.
        payloads = self._raised(ch, connector, fault)
        for payload in payloads:
            await ch.call("StatusNotification", payload)

    async def fault_cleared(
        self, ch: VirtualCharger, connector: Connector, fault: ActiveFault
    ) -> None:
        if fault.kind == "chargex":
            last = len(fault.conditions) - 1
            for index, condition in enumerate(fault.conditions):
                # One code at a time: the connector stays Faulted while another is active.
                still = bool(connector.faults) or index < last
                await ch.call("StatusNotification", build_resolved(
                    condition.code, connector_id=connector.id,
                    status="Faulted" if still else connector.status_16(),
                    timestamp=ch.timestamp(), catalog=ch.catalog))
        if connector.faults:
            if fault.kind != "chargex":
                for payload in self._active(ch, connector):
                    await ch.call("StatusNotification", payload)
            return
        await self._status(ch, connector)

    def answer(self, ch: VirtualCharger, action: str, payload: dict[str, Any]) -> Reply:
        return answer_with(_ANSWERS, ch, action, payload)

    # -- building ------------------------------------------------------------------------------

    def _raised(
        self, ch: VirtualCharger, connector: Connector, fault: ActiveFault
    ) -> list[dict[str, Any]]:
        if fault.kind == "evgo":
            payloads = [self._evgo(ch, connector)]
        elif fault.kind == "chargex":
            payloads = [
                build_status_notification([c], connector_id=connector.id, scheme="chargex",
                                          timestamp=ch.timestamp(), catalog=ch.catalog)
                for c in fault.conditions
            ]
        else:
            payloads = [_plain(ch, connector, c.code) for c in fault.conditions]
        if fault.broken:
            payloads = [break_payload(p, fault.broken, ch.catalog) for p in payloads]
        return payloads

    def _active(self, ch: VirtualCharger, connector: Connector) -> list[dict[str, Any]]:
        """The messages that state every active fault (after a reboot, a reconnect, a clear)."""
        kinds = connector.kinds()
        if "evgo" in kinds:
            return [self._evgo(ch, connector)]
        if "chargex" in kinds:
            return [
                build_status_notification([c], connector_id=connector.id, scheme="chargex",
                                          timestamp=ch.timestamp(), catalog=ch.catalog)
                for c in connector.conditions("chargex")
            ]
        latest = connector.faults[-1].conditions[-1].code
        return [_plain(ch, connector, latest)]

    def _evgo(self, ch: VirtualCharger, connector: Connector) -> dict[str, Any]:
        return build_status_notification(
            connector.conditions("evgo"), connector_id=connector.id, scheme="evgo",
            timestamp=ch.timestamp(), catalog=ch.catalog)

    async def _status(self, ch: VirtualCharger, connector: Connector, status: str | None = None
                      ) -> None:
        await ch.call("StatusNotification", build_no_error(
            connector_id=connector.id, status=status or connector.status_16(),
            timestamp=ch.timestamp()))


def _plain(ch: VirtualCharger, connector: Connector, code: str) -> dict[str, Any]:
    return {
        "connectorId": connector.id,
        "errorCode": code,
        "status": "Faulted",
        "timestamp": utc_text(ch.timestamp()),
    }


# -- answers to the central system -----------------------------------------------------------

def _reset(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    ch.later(lambda: ch.reboot(reason=f"{payload.get('type', 'Hard')}Reset"))
    return {"status": "Accepted"}


def _trigger(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    message = payload.get("requestedMessage")
    if message not in _TRIGGERABLE:
        return {"status": "NotImplemented"}
    wanted = payload.get("connectorId")
    targets = [c for c in ch.connectors if wanted is None or c.id == wanted]
    if not targets:
        return {"status": "Rejected"}

    async def send() -> None:
        if message == "BootNotification":
            await V16Dialect().boot(ch)
        elif message == "Heartbeat":
            await ch.call("Heartbeat", {})
        elif message == "StatusNotification":
            for connector in targets:
                await V16Dialect().announce(ch, connector)
        else:
            for connector in targets:
                if connector.phase in (Phase.CHARGING, Phase.SUSPENDED):
                    await V16Dialect().meter(ch, connector)

    ch.later(send)
    return {"status": "Accepted"}


def _change_availability(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    wanted = payload.get("connectorId")
    targets = [c for c in ch.connectors[1:] if wanted in (0, c.id)]
    if not targets:
        return {"status": "Rejected"}
    unavailable = payload.get("type") == "Inoperative"
    busy = False
    for connector in targets:
        connector.unavailable = unavailable
        busy = busy or connector.in_session

    async def send() -> None:
        for connector in targets:
            if not connector.in_session and not connector.faults:
                await V16Dialect()._status(ch, connector)

    ch.later(send)
    # A connector in a transaction changes once the transaction ends (OCPP 1.6 §5.2).
    return {"status": "Scheduled" if busy else "Accepted"}


def _get_configuration(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    known = {
        "HeartbeatInterval": (False, f"{ch.heartbeat_interval:.0f}"),
        "NumberOfConnectors": (True, str(len(ch.connectors) - 1)),
    }
    asked = payload.get("key") or list(known)
    keys = [k for k in asked if isinstance(k, str)]
    return {
        "configurationKey": [
            {"key": k, "readonly": known[k][0], "value": known[k][1]} for k in keys if k in known
        ],
        "unknownKey": [k for k in keys if k not in known],
    }


def _change_configuration(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    if payload.get("key") != "HeartbeatInterval":
        return {"status": "NotSupported"}
    try:
        seconds = float(payload.get("value", ""))
    except ValueError:
        return {"status": "Rejected"}
    if seconds < 0:
        return {"status": "Rejected"}
    ch.change_heartbeat(seconds)
    return {"status": "Accepted"}


def _remote_start(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    wanted = payload.get("connectorId")
    free = [c for c in ch.connectors[1:] if (wanted is None or c.id == wanted)
            and not c.in_session and not c.faults and not c.unavailable]
    if not free:
        return {"status": "Rejected"}
    connector = free[0]
    id_tag = str(payload.get("idTag", ""))[:20]
    ch.later(lambda: ch.begin_session(connector, id_tag))
    return {"status": "Accepted"}


_ANSWERS: dict[str, Callable[[VirtualCharger, dict[str, Any]], Reply]] = {
    "Reset": _reset,
    "TriggerMessage": _trigger,
    "ChangeAvailability": _change_availability,
    "GetConfiguration": _get_configuration,
    "ChangeConfiguration": _change_configuration,
    "RemoteStartTransaction": _remote_start,
    "RemoteStopTransaction": remote_stop,
    "SetChargingProfile": set_charging_profile,
    "UnlockConnector": lambda ch, payload: {"status": "Unlocked"},
    "ClearCache": lambda ch, payload: {"status": "Accepted"},
    "DataTransfer": lambda ch, payload: {"status": "UnknownVendorId"},
}
