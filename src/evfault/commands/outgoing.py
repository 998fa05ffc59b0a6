"""Outgoing calls checked against the version's published schema before they leave.

Stricter than the check of incoming requests (evfault.ocpp.schemas): what evfault sends must be
exactly right, lengths and date-time formats included, so a charger never sees a bad CALL.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema

from evfault.commands.model import CommandInvalid, Request
from evfault.conformance.schemas import schema as published_schema

# Calls a charger sends; a central system never sends them (DataTransfer goes both ways).
_FROM_CHARGERS = frozenset({
    "Authorize", "BootNotification", "DiagnosticsStatusNotification",
    "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction",
    "StatusNotification", "StopTransaction", "NotifyEvent", "TransactionEvent", "NotifyReport",
    "LogStatusNotification", "SecurityEventNotification", "SignCertificate",
    "NotifyMonitoringReport", "ReservationStatusUpdate", "ClearedChargingLimit",
    "NotifyChargingLimit", "ReportChargingProfiles", "NotifyCustomerInformation",
    "NotifyDisplayMessages", "NotifyEVChargingNeeds", "NotifyEVChargingSchedule",
    "PublishFirmwareStatusNotification", "Get15118EVCertificate", "GetCertificateStatus",
    "SignedFirmwareStatusNotification",
})


@cache
def _validator(version: str, action: str) -> Callable[[Any], Any] | None:
    raw = published_schema(version, action)
    if raw is None:
        return None
    schema = copy.deepcopy(dict(raw))
    schema.pop("$id", None)  # 2.0.1's urn ids would make fastjsonschema resolve refs remotely
    schema.pop("$schema", None)
    compiled: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return compiled


def check(version: str, request: Request) -> None:
    """Raise CommandInvalid when `request` is not a call a central system may send."""
    validator = _validator(version, request.action)
    if validator is None or request.action in _FROM_CHARGERS:
        raise CommandInvalid(f"{request.action} is not a call OCPP {version} lets a central "
                             "system send.")
    try:
        validator(request.payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = exc.message[5:] if exc.message.startswith("data.") else exc.message
        raise CommandInvalid(f"{request.action} for OCPP {version} would be invalid: "
                             f"{where}.") from None
