"""OCPP 1.6 requests a charger sends, each answered so a real charger can run on evfault alone.

evfault is a monitoring backend first: it accepts every boot and records everything. idTags are
checked against the operators' allow-list (evfault.auth.tags; unknown ones as --unknown-tags says).
"""

from __future__ import annotations

from typing import Any

from evfault.decode import decode_payload
from evfault.ocpp.outcome import Handler, HandlerContext, Outcome, boot_outcome, iso
from evfault.store.model import StatusEventRow
from evfault.tracking.model import Event, Heard, ReportReceived

VERSION = "1.6"


def boot_notification(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    serial = payload.get("chargePointSerialNumber") or payload.get("chargeBoxSerialNumber")
    return boot_outcome(ctx, VERSION, payload.get("chargePointVendor"),
                        payload.get("chargePointModel"), serial, payload.get("firmwareVersion"))


def heartbeat(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    return Outcome({"currentTime": iso(ctx.received_at)}, [Heard(ctx.charger_id, ctx.received_at)])


def status_notification(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    decoded = decode_payload("StatusNotification", payload, VERSION,
                             charger_vendor=ctx.charger_vendor)
    events: list[Event] = [ReportReceived(ctx.charger_id, r, ctx.received_at)
                           for r in decoded.reports]
    report = decoded.reports[0] if decoded.reports else None
    row = StatusEventRow(
        charger_id=ctx.charger_id,
        connector_id=_int(payload.get("connectorId")),
        status=payload.get("status"),
        error_code=payload.get("errorCode"),
        info=payload.get("info"),
        vendor_id=payload.get("vendorId"),
        vendor_error_code=payload.get("vendorErrorCode"),
        charger_time=report.timestamp if report else None,
        received_at=ctx.received_at,
    )
    return Outcome({}, events, status_events=[row])


def authorize(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    info = ctx.tag_info(payload.get("idTag"), VERSION)
    return Outcome({"idTagInfo": info}, [Heard(ctx.charger_id, ctx.received_at)])


def start_transaction(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    # A transaction id even for a refused tag: the charger then ends it (§5.16).
    response = {"transactionId": ctx.next_transaction_id(),
                "idTagInfo": ctx.tag_info(payload.get("idTag"), VERSION)}
    return Outcome(response, [Heard(ctx.charger_id, ctx.received_at)])


def stop_transaction(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    tag = payload.get("idTag")
    response = {"idTagInfo": ctx.tag_info(tag, VERSION)} if tag else {}
    return Outcome(response, [Heard(ctx.charger_id, ctx.received_at)])


def data_transfer(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    # §6.17: a vendorId the central system does not know is answered UnknownVendorId.
    return Outcome({"status": "UnknownVendorId"}, [Heard(ctx.charger_id, ctx.received_at)])


def sign_certificate(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    # evfault runs no certificate authority; the charger keeps its current certificate.
    return Outcome({"status": "Rejected"}, [Heard(ctx.charger_id, ctx.received_at)])


def acknowledge(ctx: HandlerContext, payload: dict[str, Any]) -> Outcome:
    """Notifications whose answer is empty: MeterValues, diagnostics and firmware status, …"""
    return Outcome({}, [Heard(ctx.charger_id, ctx.received_at)])


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


HANDLERS: dict[str, Handler] = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "StatusNotification": status_notification,
    "Authorize": authorize,
    "StartTransaction": start_transaction,
    "StopTransaction": stop_transaction,
    "MeterValues": acknowledge,
    "DataTransfer": data_transfer,
    "DiagnosticsStatusNotification": acknowledge,
    "FirmwareStatusNotification": acknowledge,
    # OCPP 1.6 security extension (white paper, edition 3)
    "SecurityEventNotification": acknowledge,
    "LogStatusNotification": acknowledge,
    "SignedFirmwareStatusNotification": acknowledge,
    "SignCertificate": sign_certificate,
}
