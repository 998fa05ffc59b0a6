"""One vocabulary of commands for both OCPP versions: names and arguments → the version's CALL.

Pure: `build(version, command, args)` returns the action and payload to send, or raises
CommandInvalid with a sentence for the person who asked; `status_of(answer)` reads the answer.

    reset                 type: soft|hard, evse_id?      1.6 Reset Soft/Hard; 2.0.1 OnIdle/Immediate
    trigger_message       message, connector_id?         TriggerMessage
    unlock_connector      connector_id, evse_connector_id? (2.0.1, default 1)   UnlockConnector
    change_availability   available: bool, connector_id? (0 or none: the whole charger)
                                                         ChangeAvailability
    remote_start          id_tag, connector_id?          RemoteStart- / RequestStartTransaction
    remote_stop           transaction_id                 RemoteStop- / RequestStopTransaction
    get_configuration     keys? (2.0.1: Component.Variable)   GetConfiguration / GetVariables
    change_configuration  key, value                     ChangeConfiguration / SetVariables
    get_diagnostics       location, start_time?, stop_time?, retries?   GetDiagnostics / GetLog
    clear_cache           -                              ClearCache
    data_transfer         vendor_id, message_id?, data?  DataTransfer
    set_charging_profile  connector_id, profile (the version's own shape)   SetChargingProfile
    call                  action, payload (any call a central system may send)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from evfault.commands.model import CommandInvalid, CommandStatus, Request

V16, V201 = "1.6", "2.0.1"
Args = Mapping[str, Any]
Builder = Callable[[str, Args], Request]

# Trigger names people use → the requested message of each version.
_TRIGGERS: dict[str, tuple[str, str]] = {
    "StatusNotification": ("StatusNotification", "StatusNotification"),
    "Heartbeat": ("Heartbeat", "Heartbeat"),
    "BootNotification": ("BootNotification", "BootNotification"),
    "MeterValues": ("MeterValues", "MeterValues"),
    "FirmwareStatusNotification": ("FirmwareStatusNotification", "FirmwareStatusNotification"),
    "DiagnosticsStatusNotification": ("DiagnosticsStatusNotification", "LogStatusNotification"),
    "LogStatusNotification": ("DiagnosticsStatusNotification", "LogStatusNotification"),
}

# A charger's answer status → ours (both versions; unknown ones count as rejected).
_STATUSES = {
    "Accepted": CommandStatus.ACCEPTED,
    "Unlocked": CommandStatus.ACCEPTED,
    "Scheduled": CommandStatus.SCHEDULED,
    "RebootRequired": CommandStatus.SCHEDULED,
    "AcceptedCanceled": CommandStatus.ACCEPTED,
    "Rejected": CommandStatus.REJECTED,
    "UnknownConnector": CommandStatus.REJECTED,
    "OngoingAuthorizedTransaction": CommandStatus.REJECTED,
    "UnlockFailed": CommandStatus.FAILED,
    "NotSupported": CommandStatus.NOT_SUPPORTED,
    "UnknownVendorId": CommandStatus.NOT_SUPPORTED,
    "UnknownMessageId": CommandStatus.NOT_SUPPORTED,
}

_request_ids = itertools.count(1)


def next_request_id() -> int:
    """requestId / remoteStartId for 2.0.1 calls: unique within this process's life."""
    return next(_request_ids) % 2**31 or 1


def status_of(answer: Any) -> CommandStatus:
    """Our status for a CALLRESULT payload (answers without a status mean accepted)."""
    if not isinstance(answer, dict) or "status" not in answer:
        return CommandStatus.ACCEPTED
    return _STATUSES.get(str(answer["status"]), CommandStatus.REJECTED)


# ---- reading arguments ----------------------------------------------------------------------


def _int(args: Args, name: str, default: int | None = None, minimum: int = 0) -> int:
    value = args.get(name, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        if value is None:
            raise CommandInvalid(f"Give {name} (a whole number).")
        raise CommandInvalid(f"{name} must be a whole number of at least {minimum}, "
                             f"not {value!r}.")
    return value


def _opt_int(args: Args, name: str, minimum: int = 0) -> int | None:
    return None if args.get(name) is None else _int(args, name, minimum=minimum)


def _text(args: Args, name: str, default: str | None = None) -> str:
    value = args.get(name, default)
    if not isinstance(value, str) or not value:
        raise CommandInvalid(f"Give {name} as text.")
    return value


def _opt_text(args: Args, name: str) -> str | None:
    return None if args.get(name) is None else _text(args, name)


def _bool(args: Args, name: str) -> bool:
    value = args.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "operative", "inoperative"):
        return value.lower() in ("true", "operative")
    raise CommandInvalid(f"Give {name} as true or false.")


def _choice(args: Args, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = args.get(name, default)
    if isinstance(value, str) and value.lower() in choices:
        return value.lower()
    raise CommandInvalid(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def _without_none(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v is not None}


# ---- the commands ---------------------------------------------------------------------------


def reset(version: str, args: Args) -> Request:
    kind = _choice(args, "type", ("soft", "hard"), "soft")
    if version == V16:
        return Request("Reset", {"type": kind.capitalize()})
    return Request("Reset", _without_none({
        "type": "OnIdle" if kind == "soft" else "Immediate",
        "evseId": _opt_int(args, "evse_id", 1)}))


def trigger_message(version: str, args: Args) -> Request:
    name = _text(args, "message")
    if name not in _TRIGGERS:
        raise CommandInvalid(f"message must be one of {', '.join(_TRIGGERS)}, not {name!r}.")
    requested = _TRIGGERS[name][0 if version == V16 else 1]
    connector = _opt_int(args, "connector_id", 1)
    if version == V16:
        return Request("TriggerMessage", _without_none(
            {"requestedMessage": requested, "connectorId": connector}))
    evse = {"id": connector} if connector is not None else None
    return Request("TriggerMessage", _without_none({"requestedMessage": requested, "evse": evse}))


def unlock_connector(version: str, args: Args) -> Request:
    connector = _int(args, "connector_id", minimum=1)
    if version == V16:
        return Request("UnlockConnector", {"connectorId": connector})
    return Request("UnlockConnector", {"evseId": connector,
                                       "connectorId": _int(args, "evse_connector_id", 1, 1)})


def change_availability(version: str, args: Args) -> Request:
    kind = "Operative" if _bool(args, "available") else "Inoperative"
    connector = _int(args, "connector_id", 0)
    if version == V16:
        return Request("ChangeAvailability", {"connectorId": connector, "type": kind})
    evse = {"id": connector} if connector else None
    return Request("ChangeAvailability", _without_none({"operationalStatus": kind, "evse": evse}))


def remote_start(version: str, args: Args) -> Request:
    tag = _text(args, "id_tag")
    connector = _opt_int(args, "connector_id", 1)
    if version == V16:
        return Request("RemoteStartTransaction", _without_none(
            {"idTag": tag, "connectorId": connector}))
    return Request("RequestStartTransaction", _without_none({
        "idToken": {"idToken": tag, "type": "ISO14443"}, "remoteStartId": next_request_id(),
        "evseId": connector}))


def remote_stop(version: str, args: Args) -> Request:
    if version == V16:
        return Request("RemoteStopTransaction", {"transactionId": _int(args, "transaction_id")})
    value = args.get("transaction_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return Request("RequestStopTransaction", {"transactionId": _text({"t": value}, "t")})


def _component_variable(key: str) -> dict[str, Any]:
    component, dot, variable = key.rpartition(".")
    if not dot or not component or not variable:
        raise CommandInvalid(f"OCPP 2.0.1 names a setting as Component.Variable "
                             f"(e.g. OCPPCommCtrlr.HeartbeatInterval), not {key!r}.")
    return {"component": {"name": component}, "variable": {"name": variable}}


def get_configuration(version: str, args: Args) -> Request:
    keys = args.get("keys") or []
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k]
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise CommandInvalid("keys must be a list of setting names.")
    if version == V16:
        return Request("GetConfiguration", {"key": keys} if keys else {})
    if not keys:
        raise CommandInvalid("OCPP 2.0.1 reads named settings only: give keys as "
                             "Component.Variable (e.g. OCPPCommCtrlr.HeartbeatInterval).")
    return Request("GetVariables", {"getVariableData": [_component_variable(k) for k in keys]})


def change_configuration(version: str, args: Args) -> Request:
    key, value = _text(args, "key"), args.get("value")
    if isinstance(value, (int, float, bool)):
        value = str(value).lower() if isinstance(value, bool) else str(value)
    value = _text({"value": value}, "value")
    if version == V16:
        return Request("ChangeConfiguration", {"key": key, "value": value})
    return Request("SetVariables", {"setVariableData": [
        {"attributeValue": value, **_component_variable(key)}]})


def get_diagnostics(version: str, args: Args) -> Request:
    location = _text(args, "location")
    start, stop = _opt_text(args, "start_time"), _opt_text(args, "stop_time")
    retries = _opt_int(args, "retries")
    if version == V16:
        return Request("GetDiagnostics", _without_none({
            "location": location, "startTime": start, "stopTime": stop, "retries": retries}))
    log = _without_none({"remoteLocation": location, "oldestTimestamp": start,
                         "latestTimestamp": stop})
    return Request("GetLog", _without_none({"logType": "DiagnosticsLog",
                                            "requestId": next_request_id(), "log": log,
                                            "retries": retries}))


def clear_cache(version: str, args: Args) -> Request:
    return Request("ClearCache", {})


def data_transfer(version: str, args: Args) -> Request:
    return Request("DataTransfer", _without_none({
        "vendorId": _text(args, "vendor_id"), "messageId": _opt_text(args, "message_id"),
        "data": _opt_text(args, "data")}))


def set_charging_profile(version: str, args: Args) -> Request:
    connector = _int(args, "connector_id", 0)
    profile = args.get("profile")
    if not isinstance(profile, dict):
        raise CommandInvalid("Give profile as an object (the version's charging profile).")
    if version == V16:
        return Request("SetChargingProfile", {"connectorId": connector,
                                              "csChargingProfiles": profile})
    return Request("SetChargingProfile", {"evseId": connector, "chargingProfile": profile})


def raw_call(version: str, args: Args) -> Request:
    payload = args.get("payload", {})
    if not isinstance(payload, dict):
        raise CommandInvalid("Give payload as a JSON object.")
    return Request(_text(args, "action"), dict(payload))


COMMANDS: dict[str, Builder] = {
    "reset": reset,
    "trigger_message": trigger_message,
    "unlock_connector": unlock_connector,
    "change_availability": change_availability,
    "remote_start": remote_start,
    "remote_stop": remote_stop,
    "get_configuration": get_configuration,
    "change_configuration": change_configuration,
    "get_diagnostics": get_diagnostics,
    "clear_cache": clear_cache,
    "data_transfer": data_transfer,
    "set_charging_profile": set_charging_profile,
    "call": raw_call,
}


def check_name(command: str) -> None:
    """Raise CommandInvalid when `command` is not in the vocabulary."""
    if command not in COMMANDS:
        raise CommandInvalid(f"Unknown command {command!r}; use one of {', '.join(COMMANDS)}.")


def build(version: str, command: str, args: Args) -> Request:
    """The CALL that carries `command` to a charger speaking `version`."""
    check_name(command)
    builder = COMMANDS[command]
    if version not in (V16, V201):
        raise CommandInvalid(f"The charger speaks OCPP {version!r}, which evfault cannot "
                             "command.")
    if not isinstance(args, Mapping):
        raise CommandInvalid("Give args as a JSON object.")
    return builder(version, args)
