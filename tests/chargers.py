"""Test chargers: the `ocpp` package's own ChargePoint clients connected to a real server."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample_frames(name: str) -> list[list[Any]]:
    return [json.loads(line) for line in (SAMPLES / name).read_text().splitlines() if line]


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The Authorization header of OCPP security profiles 1 and 2."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@asynccontextmanager
async def _charger(cls: Any, protocol: str, ocpp_url: str, charger_id: str,
                   headers: dict[str, str] | None = None) -> AsyncIterator[Any]:
    async with websockets.connect(f"{ocpp_url}/{charger_id}", subprotocols=[protocol],
                                  additional_headers=headers) as ws:
        cp = cls(charger_id, ws)
        task = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await task


def charger16(ocpp_url: str, charger_id: str, headers: dict[str, str] | None = None) -> Any:
    """An OCPP 1.6 ChargePoint of the `ocpp` package, connected and running."""
    return _charger(ChargePoint16, "ocpp1.6", ocpp_url, charger_id, headers)


def charger201(ocpp_url: str, charger_id: str, headers: dict[str, str] | None = None) -> Any:
    """An OCPP 2.0.1 ChargePoint of the `ocpp` package, connected and running."""
    return _charger(ChargePoint201, "ocpp2.0.1", ocpp_url, charger_id, headers)


async def boot16(cp: ChargePoint16, vendor: str = "Acme", model: str = "DC-150") -> Any:
    return await cp.call(call16.BootNotification(charge_point_model=model,
                                                 charge_point_vendor=vendor))


async def boot201(cp: ChargePoint201, vendor: str = "Acme", model: str = "DC-350") -> Any:
    return await cp.call(call201.BootNotification(
        charging_station={"model": model, "vendor_name": vendor}, reason="PowerUp"))


def status16(payload: dict[str, Any]) -> call16.StatusNotification:
    """A 1.6 StatusNotification call from a payload in wire (camelCase) form."""
    return call16.StatusNotification(
        connector_id=payload["connectorId"], error_code=payload["errorCode"],
        status=payload["status"], timestamp=payload.get("timestamp"), info=payload.get("info"),
        vendor_id=payload.get("vendorId"), vendor_error_code=payload.get("vendorErrorCode"))


async def send_status16(cp: ChargePoint16, **fields: Any) -> Any:
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "Available", **fields}
    return await cp.call(status16(payload), skip_schema_validation=True)
