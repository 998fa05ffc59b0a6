"""OCPP 2.0.1 requests a charging station sends (the station-initiated core and more).

Same shape as the 1.6 handlers. In 2.0.1 faults no longer ride on StatusNotification: they
arrive as NotifyEvent eventData (techCode, techInfo, cleared), which the decoders turn into
reports. Our connector id is the 2.0.1 EVSE id, the unit the 1.6 "connector" became.
"""

from __future__ import annotations

from typing import Any

from evfault.decode import decode_payload
from evfault.ocpp.outcome import Handler, HandlerContext, Outcome, boot_outcome, iso
from evfault.store.model import StatusEventRow
from evfault.tracking.model import Event, Heard, ReportReceived

VERSION = "2.0.1"


def boot_notification(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    station = payload.get("chargingStation") or {}
    return boot_outcome(ctx, VERSION, station.get("vendorName"), station.get("model"),
                        station.get("serialNumber"), station.get("firmwareVersion"))


def heartbeat(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    return Outcome({"currentTime": iso(ctx.received_at)}, [Heard(ctx.charger_id, ctx.received_at)])


def _decoded_outcome(ctx: HandlerContext, action: str, payload: dict[str, Any]) -> Outcome:
    decoded = decode_payload(action, payload, VERSION, charger_vendor=ctx.charger_vendor)
    events: list[Event] = [ReportReceived(ctx.charger_id, r, ctx.received_at)
                           for r in decoded.reports]
    rows = [
        StatusEventRow(
            charger_id=ctx.charger_id,
            connector_id=r.connector_id,
            status=r.status,
            error_code=r.error_code,
            info=";".join(f.info for f in (*r.faults, *r.cleared) if f.info) or None,
            vendor_id=None,
            vendor_error_code=",".join(f.raw_code for f in (*r.faults, *r.cleared)) or None,
            charger_time=r.timestamp,
            received_at=ctx.received_at,
        )
        for r in decoded.reports
    ]
    if not events:
        events = [Heard(ctx.charger_id, ctx.received_at)]
    return Outcome({}, list(events), status_events=rows)


def status_notification(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    return _decoded_outcome(ctx, "StatusNotification", payload)


def notify_event(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    return _decoded_outcome(ctx, "NotifyEvent", payload)


def _token_info(ctx: HandlerContext, token: object) -> dict[str, Any]:
    if isinstance(token, dict) and token.get("type") == "NoAuthorization":
        return {"status": "Accepted"}  # a free-vend charger: there is no token to judge
    return ctx.tag_info(token.get("idToken") if isinstance(token, dict) else None, VERSION)


def authorize(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    info = _token_info(ctx, payload.get("idToken"))
    return Outcome({"idTokenInfo": info}, [Heard(ctx.charger_id, ctx.received_at)])


def transaction_event(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    token = payload.get("idToken")
    response = {"idTokenInfo": _token_info(ctx, token)} if token else {}
    return Outcome(response, [Heard(ctx.charger_id, ctx.received_at)])


def data_transfer(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    return Outcome({"status": "UnknownVendorId"}, [Heard(ctx.charger_id, ctx.received_at)])


def _answer(response: dict[str, Any]) -> Handler:
    def handler(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
        return Outcome(dict(response), [Heard(ctx.charger_id, ctx.received_at)])

    return handler


acknowledge = _answer({})

HANDLERS: dict[str, Handler] = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "StatusNotification": status_notification,
    "NotifyEvent": notify_event,
    "Authorize": authorize,
    "TransactionEvent": transaction_event,
    "DataTransfer": data_transfer,
    "MeterValues": acknowledge,
    "NotifyReport": acknowledge,
    "NotifyMonitoringReport": acknowledge,
    "FirmwareStatusNotification": acknowledge,
    "LogStatusNotification": acknowledge,
    "SecurityEventNotification": acknowledge,
    "ReservationStatusUpdate": acknowledge,
    "ClearedChargingLimit": acknowledge,
    "NotifyChargingLimit": acknowledge,
    "ReportChargingProfiles": acknowledge,
    "NotifyCustomerInformation": acknowledge,
    "NotifyDisplayMessages": acknowledge,
    "PublishFirmwareStatusNotification": acknowledge,
    # evfault runs no certificate authority and does no smart charging: say so politely.
    "SignCertificate": _answer({"status": "Rejected"}),
    "Get15118EVCertificate": _answer({"status": "Failed", "exiResponse": ""}),
    "GetCertificateStatus": _answer({"status": "Failed"}),
    "NotifyEVChargingNeeds": _answer({"status": "Rejected"}),
    "NotifyEVChargingSchedule": _answer({"status": "Accepted"}),
}
