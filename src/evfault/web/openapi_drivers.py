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


REPORT: Schema = {
    "type": "object",
    "required": ["id", "charger_id", "connector_id", "message", "contact", "lang", "created_at",
                 "seen_at", "seen_by", "charger_url"],
    "properties": {
        "id": {"type": "integer"},
        "charger_id": {"type": "string"},
        "connector_id": {"type": "integer", "nullable": True,
                         "description": "The connector the driver picked, if any."},
        "message": {"type": "string", "description": "What happened, in the driver's words."},
        "contact": {"type": "string", "nullable": True,
                    "description": "Phone or e-mail, only when the driver left one."},
        "lang": {"type": "string", "description": "The language the driver's page was in."},
        "created_at": {"type": "string", "format": "date-time"},
        "seen_at": {"type": "string", "format": "date-time", "nullable": True},
        "seen_by": {"type": "string", "nullable": True},
        "charger_url": {"type": "string"},
    },
}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, kind: str = "string") -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": kind}}


def report_paths() -> dict[str, Schema]:
    listing = {"type": "object", "required": ["reports", "limit", "offset"], "properties": {
        "reports": {"type": "array", "items": REPORT}, "limit": {"type": "integer"},
        "offset": {"type": "integer"}}}
    report_id = {"name": "report_id", "in": "path", "required": True,
                 "schema": {"type": "integer"}}
    return {
        "/api/v1/driver-reports": {"get": {
            "summary": "Problems drivers reported from the charger pages, newest first",
            "tags": ["drivers"],
            "parameters": [_query("charger_id", "Only this charger."),
                           _query("unseen", "true: only those no operator marked as seen."),
                           _query("limit", "Page size (default 100, at most 1000).", "integer"),
                           _query("offset", "Items to skip.", "integer")],
            "responses": {"200": _json(listing, "The reports."),
                          "400": _error("A query value could not be used.")},
        }},
        "/api/v1/driver-reports/{report_id}/seen": {"post": {
            "summary": "Mark a driver's report as seen (operators)",
            "tags": ["drivers"],
            "parameters": [report_id],
            "responses": {"200": _json({"type": "object", "properties": {
                "id": {"type": "integer"}, "seen": {"type": "boolean"}}}, "Marked."),
                "404": _error("No such report.")},
        }},
    }


def driver_paths() -> dict[str, Schema]:
    return {**qr_paths(), **report_paths()}


DRIVER_TAG = {"name": "drivers",
              "description": "What the public charger pages offer: QR codes and drivers' reports."}
