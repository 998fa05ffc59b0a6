"""The OpenAPI parts of what drivers meet: QR codes of the charger pages, drivers' reports."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _error(description: str) -> Schema:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def qr_paths() -> dict[str, Schema]:
    kind = {"name": "kind", "in": "path", "required": True, "description": "svg or png",
            "schema": {"type": "string", "enum": ["svg", "png"]}}
    charger = {"name": "id", "in": "path", "required": True, "description": "Charge point id.",
               "schema": {"type": "string"}}
    op = {
        "summary": "QR code of the charger's public driver page",
        "description": "A full-size QR code (level M) holding {public_url}/c/{id}, or the "
                       "address the request came to when public_url is not set.",
        "tags": ["drivers"],
        "parameters": [charger, kind],
        "responses": {
            "200": {"description": "The code as SVG (qr.svg) or PNG (qr.png).",
                    "content": {
                        "image/svg+xml": {"schema": {"type": "string"}},
                        "image/png": {"schema": {"type": "string", "format": "binary"}}}},
            "404": _error("No such charger, or a kind other than svg or png."),
        },
    }
    return {"/api/v1/chargers/{id}/qr.{kind}": {"get": op}}


def driver_paths() -> dict[str, Schema]:
    return {**qr_paths()}


DRIVER_TAG = {"name": "drivers",
              "description": "What the public charger pages offer: QR codes and drivers' reports."}
