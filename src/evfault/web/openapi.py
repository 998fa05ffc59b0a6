"""The OpenAPI 3.0 document for /api/v1, written by hand next to the shapes it describes.

Swagger UI (the /docs page) reads it; a test validates it and checks real answers against
its schemas, so the document cannot drift from what the endpoints send.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from evfault.web.openapi_alerts import alert_paths, alert_schemas
from evfault.web.openapi_commands import command_paths, command_schemas, tag_paths, tag_schemas
from evfault.web.openapi_drivers import DRIVER_TAG, driver_paths
from evfault.web.openapi_reports import report_paths, report_schemas
from evfault.web.openapi_sites import site_paths, site_schemas
from evfault.web.openapi_trust import (
    LOGGED_IN,
    SECURITY_SCHEMES,
    public_marked,
    trust_paths,
    trust_schemas,
)
from evfault.web.params import SEVERITIES

Schema = dict[str, Any]

VERSION = "1.0.0"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def string(description: str = "", nullable: bool = False, fmt: str | None = None) -> Schema:
    schema: Schema = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    if nullable:
        schema["nullable"] = True
    if description:
        schema["description"] = description
    return schema


def time(description: str = "", nullable: bool = False) -> Schema:
    return string(description or "UTC, ISO 8601", nullable, "date-time")


def integer(description: str = "", nullable: bool = False) -> Schema:
    schema: Schema = {"type": "integer", "description": description}
    if nullable:
        schema["nullable"] = True
    return schema


def boolean(description: str = "") -> Schema:
    return {"type": "boolean", "description": description}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: dict[str, Schema], required: tuple[str, ...] | None = None,
        nullable: bool = False, description: str = "") -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }
    if nullable:
        schema["nullable"] = True
    if description:
        schema["description"] = description
    return schema


def listing(key: str, item: Schema) -> Schema:
    return obj({
        key: array(item),
        "total": integer("How many match, over all pages."),
        "limit": integer("Page size used."),
        "offset": integer("Index of the first item of this page."),
        "next": string("Address of the next page; null on the last one.", nullable=True),
    })


SEVERITY = {"type": "string", "enum": list(SEVERITIES)}


def incident_schema() -> Schema:
    return obj({
        "id": string("Stable id of the incident."),
        "charger_id": string(),
        "connector_id": integer("0 means the whole charger."),
        "scheme": string("Code family, e.g. ocpp16, evgo-mrec, chargex-mrec, unknown."),
        "code": string("e.g. F001, CX011, GroundFailure."),
        "ref": string("scheme:code"),
        "title": string(),
        "severity": string("critical, warning or info."),
        "info": string("The info text the charger sent with it.", nullable=True),
        "reading": obj({"value": {"type": "number"}, "unit": string(nullable=True),
                        "text": string("The value as the charger wrote it (5.00 stays 5.00).")},
                       nullable=True, description="The sensor reading paired with the code."),
        "status": string("Connector status reported with it.", nullable=True),
        "vendor_id": string(nullable=True),
        "error_code": string("OCPP 1.6 errorCode it travelled with.", nullable=True),
        "warning_only": boolean("Reported with a non-Faulted status: charging still possible."),
        "pill": obj({"text": string(), "class": string()}, nullable=True,
                    description="What the pages say beside a warning-only error, by severity "
                    "(a critical one is no reassurance); null otherwise."),
        "time_flagged": boolean("The charger's own timestamp was missing or implausible."),
        "code_guessed": boolean("The message named no vendorId: the scheme was told by the "
                                "code's shape alone (F001 taken for EVgo's)."),
        "opened_at": time(),
        "opened_received_at": time("When evfault received the report that opened it."),
        "last_seen_at": time(nullable=True),
        "reports": integer("How many reports carried it."),
        "active": boolean(),
        "cleared_at": time("Null while active.", nullable=True),
        "cleared_by": string("NoError, resolved, replaced, cleared-event, reboot, reconciled "
                             "(closed after asking the charger) or status (left Faulted).",
                             nullable=True),
        "duration_s": {"type": "number", "description": "Seconds open so far, or in total."},
        "charger_url": string("The charger's page."),
        "explanation": obj({
            "summary": string(),
            "operator_steps": array(string()),
            "help_url": string(),
            "step_actions": array(obj({
                "step": integer("Index into operator_steps."),
                "action": string("unlock, soft_reset, hard_reset or inoperative."),
                "command": string("The command (POST /chargers/{id}/commands) that does it."),
                "args": {"type": "object", "additionalProperties": True},
                "per_connector": boolean("The command takes the error's connector_id."),
            })),
        }, nullable=True, description="The catalog's text; null for an unknown code."),
        "actions": array(ref("HealingAction")),
    })


def healing_action_schema() -> Schema:
    return obj({
        "action": string("soft_reset, hard_reset, unlock, inoperative or operative."),
        "rule": string("The self-healing rule that took it."),
        "step": integer("Its place in the rule's actions: 0 for the first."),
        "at": time("When it was sent."),
        "status": string("The command's outcome: pending, accepted, scheduled, rejected, "
                         "failed, not-supported, error, timeout, offline or invalid."),
        "answer": {"description": "The charger's answer (its CALLRESULT payload).",
                   "nullable": True},
        "error": string("Why there was no useful answer.", nullable=True),
        "cleared": {"type": "boolean", "nullable": True,
                    "description": "Did the error clear afterwards (within the rule's verify "
                                   "time)? Null while that is not known yet."},
        "checked_at": time("When `cleared` was decided.", nullable=True),
    }, description="One self-healing action on the incident. An incident with an action "
                   "whose `cleared` is true was fixed remotely.")


def connector_schema() -> Schema:
    return obj({
        "charger_id": string(),
        "connector_id": integer("0 means the whole charger."),
        "status": string("Latest reported status; null if none was reported.", nullable=True),
        "error_code": string(nullable=True),
        "updated_at": time(nullable=True),
        "unknown_since": time("Set while the charger is offline: its connectors' status is "
                              "unknown from then on.", nullable=True),
        "active_errors": array(ref("Incident")),
    })


def charger_schema() -> Schema:
    return obj({
        "id": string(),
        "url": string("The charger's page."),
        "online": boolean(),
        "offline_since": time(nullable=True),
        "last_seen": time(nullable=True),
        "first_seen": time(nullable=True),
        "vendor": string(nullable=True),
        "model": string(nullable=True),
        "serial": string(nullable=True),
        "firmware": string(nullable=True),
        "protocol": string("1.6 or 2.0.1", nullable=True),
        "booted_at": time(nullable=True),
        "error_count": integer(),
        "worst_severity": string(nullable=True),
        "connectors": array(ref("Connector")),
    })


def detail_schema() -> Schema:
    extra = obj({
        "generated_at": time(),
        "active_errors": array(ref("Incident")),
        "recent_incidents": array(ref("Incident")),
        "status_changes": array(ref("StatusChange")),
        "connectivity": array(ref("ConnectivityChange")),
        "timeline": array(ref("TimelineEntry")),
        "messages": array(ref("Message")),
    }, required=("generated_at", "active_errors", "recent_incidents", "status_changes",
                 "connectivity", "timeline"))
    extra["properties"]["messages"]["description"] = (
        "Raw frames (they may hold RFID idTags): for operators and admins only.")
    return {"allOf": [ref("Charger"), extra]}


def timeline_schema() -> Schema:
    return obj({
        "at": time(),
        "kind": {"type": "string",
                 "enum": ["error-opened", "error-cleared", "status", "offline", "online",
                          "connected"]},
        "title": string(),
        "connector_id": integer(nullable=True),
        "severity": string(nullable=True),
        "detail": string(nullable=True),
        "until": time("End of an offline period; null while it lasts.", nullable=True),
        "incident_id": string(nullable=True),
    })


def small_schemas() -> dict[str, Schema]:
    return {
        "Error": obj({"error": string("One sentence saying what was wrong.")}),
        "Health": obj({"status": string(), "time": time(), "uptime_s": {"type": "number"}}),
        "StatusChange": obj({
            "charger_id": string(), "connector_id": integer(), "status": string(),
            "previous": string(nullable=True), "at": time(),
        }),
        "ConnectivityChange": obj({
            "charger_id": string(), "online": boolean(), "at": time(),
            "reason": string("connected, disconnected, silent or restored"),
        }),
        "Message": obj({
            "id": integer(nullable=True), "charger_id": string(),
            "direction": {"type": "string", "enum": ["in", "out"]}, "at": time(),
            "action": string(nullable=True), "message_id": string(nullable=True),
            "raw": string("The OCPP-J frame exactly as it crossed the wire."),
        }),
        "CodeEntry": {
            "type": "object",
            "description": "One catalog entry, all fields, texts in the asked language.",
            "required": ["scheme", "code", "title", "severity"],
            "properties": {
                "scheme": string(), "code": string(), "title": string(), "severity": SEVERITY,
            },
            "additionalProperties": True,
        },
        "Fault": {
            "type": "object",
            "required": ["scheme", "code", "raw_code", "known", "title", "severity", "reading"],
            "properties": {
                "scheme": string(), "code": string(), "raw_code": string("As it arrived."),
                "known": boolean("Whether the catalog knows the code."), "title": string(),
                "severity": SEVERITY, "vendor_id": string(nullable=True),
                "error_code": string(nullable=True), "info": string(nullable=True),
                "reading": obj({"value": {"type": "number"}, "unit": string(nullable=True)},
                               nullable=True),
                "connector_id": integer(nullable=True),
                "guessed": boolean("No vendorId named the code's scheme: it was told by the "
                                   "code's shape alone."),
            },
        },
        "DecodeWarning": obj({"rule": string("A stable id."), "message": string()}),
        "DecodeResult": obj({
            "faults": array(ref("Fault")),
            "cleared": array(ref("Fault")),
            "warnings": array(ref("DecodeWarning")),
            "messages": array({
                "type": "object",
                "description": "Each message decoded on its own (version, action, reports…).",
                "additionalProperties": True,
            }),
        }),
    }


def dashboard_schema() -> Schema:
    notice = obj({
        "scheme": string(), "code": string(), "ref": string(), "title": string(),
        "severity": string(), "summary": string(nullable=True),
        "operator_steps": array(string()), "help_url": string(nullable=True),
    }, required=("scheme", "code", "title", "severity"))
    return obj({
        "generated_at": time(),
        "filters": {"type": "object", "additionalProperties": {"type": "string",
                                                               "nullable": True}},
        "summary": {"type": "object", "additionalProperties": True},
        "errors": array(ref("Incident")),
        "errors_total": {"type": "integer"},
        "notifications": array(notice),
        "notifications_total": {"type": "integer"},
        "platform": {"type": "object", "additionalProperties": notice},
        "chargers": array(ref("Charger")),
        "points": obj({
            "offset": {"type": "integer"}, "limit": {"type": "integer"},
            "total": {"type": "integer"}, "first": {"type": "integer"},
            "last": {"type": "integer"}, "previous": string(nullable=True),
            "next": string(nullable=True),
        }, required=("offset", "limit", "total")),
    })


def schemas() -> dict[str, Schema]:
    return {
        **small_schemas(),
        "Incident": incident_schema(),
        "Connector": connector_schema(),
        "Charger": charger_schema(),
        "ChargerDetail": detail_schema(),
        "TimelineEntry": timeline_schema(),
        "ChargerList": listing("chargers", ref("Charger")),
        "ErrorList": listing("errors", ref("Incident")),
        "CodeList": listing("codes", ref("CodeEntry")),
        "Dashboard": dashboard_schema(),
        "HealingAction": healing_action_schema(),
        **trust_schemas(),
        **site_schemas(),
        **command_schemas(),
        **tag_schemas(),
        **report_schemas(),
        **alert_schemas(),
    }


# ---- parameters and operations ---------------------------------------------------------


def query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def path(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


def paging(default: int, maximum: int) -> list[Schema]:
    return [
        query("limit", f"Page size (default {default}).",
              {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}),
        query("offset", "Items to skip.", {"type": "integer", "minimum": 0, "default": 0}),
    ]


def json_body(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(description: str) -> Schema:
    return json_body(ref("Error"), description)


def operation(summary: str, ok: Schema, params: list[Schema] | None = None,
              errors: dict[str, str] | None = None, tag: str = "operator",
              description: str = "") -> Schema:
    responses = {"200": ok} | {code: error(text) for code, text in (errors or {}).items()}
    op: Schema = {"summary": summary, "tags": [tag], "parameters": params or [],
                  "responses": responses}
    if description:
        op["description"] = description
    return op


BAD_QUERY = {"400": "A query value could not be used; the sentence says which."}
BAD_REQUEST = "A query value, path or body could not be used; the sentence says which."
# One event of a text/event-stream, as a client reads it (its `data` is a JSON document).
SSE_EVENT: Schema = {"type": "object", "properties": {
    "event": {"type": "string"}, "data": {"type": "string"}, "id": {"type": "string"},
    "retry": {"type": "integer"}}}
LANG = query(
    "lang",
    "Language of the texts (en, de, fr, es, it, nl, pt, pl; de-AT gives de). Without it, "
    "Accept-Language decides; English when neither matches.",
)
SEVERITY_PARAM = query("severity", "Only this severity.", SEVERITY)
FILTERS = [
    query("charger_id", "Only this charger."),
    query("code", "Only this code (F001) or scheme:code (evgo-mrec:F001)."),
    SEVERITY_PARAM,
]


def code_paths() -> dict[str, Schema]:
    return {
        "/api/v1/codes": {"get": operation(
            "Search the code catalog", json_body(ref("CodeList"), "Matching entries, best first."),
            [query("q", "A code, or words copied from a charger's screen."),
             query("scheme", "Only this scheme, e.g. evgo-mrec."), LANG, *paging(500, 1000)],
            BAD_QUERY, tag="codes")},
        "/api/v1/codes/{scheme}/{code}": {"get": operation(
            "One code explained", json_body(ref("CodeEntry"), "The entry, with related codes."),
            [path("scheme", "e.g. evgo-mrec"), path("code", "e.g. F001"), LANG],
            {"404": "No such code in that scheme."}, tag="codes")},
        "/api/v1/decode": {"post": {
            "summary": "Decode an OCPP-J frame or payload",
            "tags": ["codes"],
            "description": "Send a whole frame ([2, id, action, payload]), a bare payload, or "
                           "text with one of them per line (a log).",
            "parameters": [query(
                "charger_vendor", "The chargePointVendor of the charger that sent them "
                "(Alfen BV): its maker's vendor packs read codes no vendorId explains. "
                "Without it, a BootNotification among the messages names the maker.")],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {}},
                "text/plain": {"schema": {"type": "string"}},
            }},
            "responses": {
                "200": json_body(ref("DecodeResult"), "Faults, cleared codes and warnings."),
                "400": error("The body holds nothing that could be decoded."),
                "413": error("The body is too large."),
            },
        }},
        "/api/v1/scan": {"post": scan_operation()},
    }


def scan_operation() -> Schema:
    """POST /api/v1/scan: a photo of a charger's screen in, the codes it shows out."""
    found = {"allOf": [ref("CodeEntry"), {"type": "object", "properties": {
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "seen": string("The text on the screen the code was read from."),
        "help_url": string("The code's help page."),
    }}]}
    answer = {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["found", "choose", "unreadable"],
                   "description": "found: open the one code; choose: let the driver pick; "
                                  "unreadable: show the tips."},
        "codes": {"type": "array", "items": found, "description": "Most likely first."},
        "lang": string("The language of the texts: the one asked for, else the screen's."),
        "screen_lang": string("The language of the screen's words, where it could tell.", True),
        "segment_display": {"type": "boolean"},
        "text": {"type": "array", "items": {"type": "string"}, "description": "Text read."},
        "tips": {"type": "array", "items": {"type": "string"},
                 "description": "How to take a better photo, when no code was read."},
        "stored": {"type": "boolean", "description": "Whether the photo was kept (shared)."},
    }}
    form = {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary", "description": "JPEG, PNG or WebP."},
        "lang": string("Language of the answer (default: the screen's own)."),
        "share": string("yes: the driver agrees to share the photo (kept without metadata)."),
    }}
    return {
        "summary": "Read a photo of a charger's screen",
        "tags": ["codes"],
        "description": "Public. The photo is read offline and kept only when `share` is yes "
                       "and the server has a folder for shared photos.",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}},
        "responses": {
            "200": json_body(answer, "The codes read, explained, or tips for a better photo."),
            "400": error("The upload is not a photo that can be read."),
            "413": error("The photo is too large."),
            "415": error("The body is not multipart/form-data."),
            "503": error("Too many photos are being read; try again shortly."),
        },
    }


def operator_paths() -> dict[str, Schema]:
    return {
        "/api/v1/chargers": {"get": operation(
            "Every charger with its connectors and active errors",
            json_body(ref("ChargerList"), "Chargers by id."), paging(1000, 10_000), BAD_QUERY)},
        "/api/v1/chargers/{id}": {"get": operation(
            "One charger: connectors, errors, timeline, raw messages",
            json_body(ref("ChargerDetail"), "The charger."), [path("id", "Charge point id")],
            {"404": "No charger with that id has connected."})},
        "/api/v1/errors/active": {"get": operation(
            "Every active error, most severe and oldest first",
            json_body(ref("ErrorList"), "Active incidents."),
            [*FILTERS, *paging(1000, 10_000)], BAD_QUERY)},
        "/api/v1/errors": {"get": operation(
            "Incidents, active and cleared, newest first",
            json_body(ref("ErrorList"), "Incidents."),
            [*FILTERS, query("scheme", "Only this scheme."),
             query("since", "Opened at or after (ISO 8601).", {"type": "string",
                                                               "format": "date-time"}),
             query("until", "Opened before (ISO 8601).", {"type": "string",
                                                          "format": "date-time"}),
             query("state", "active, cleared or all.",
                   {"type": "string", "enum": ["active", "cleared", "all"]}),
             *paging(100, 1000)], BAD_QUERY)},
        "/api/v1/dashboard": {"get": operation(
            "The operator dashboard's data (the JSON twin of /)",
            json_body(ref("Dashboard"), "Summary, errors, notifications, a page of chargers. "
                      "The error and notification lists stop at 200 (their totals say how "
                      "many there are); chargers come 100 at a time, problems first."),
            [query("charger", "Only this charger."),
             query("code", "Only this code or scheme:code."), SEVERITY_PARAM, LANG,
             query("points", "Where the page of charging points starts (0, 100, …).",
                   {"type": "integer", "minimum": 0})], BAD_QUERY)},
        "/api/v1/events": {"get": operation(
            "Live changes as Server-Sent Events",
            {"description": "An endless text/event-stream.",
             "content": {"text/event-stream": {"schema": SSE_EVENT}}},
            description="Events: `hello` {server_time} first; `incident` {kind, incident}; "
                        "`status` (a StatusChange); `connectivity` (a ConnectivityChange); "
                        "`resync` {} when this client fell behind and must reload its view.")},
        "/healthz": {"get": operation(
            "Is the server up?", json_body(ref("Health"), "It is."), tag="service")},
    }


def with_bad_request(paths: dict[str, Schema]) -> dict[str, Schema]:
    """Every operation that reads a query, a path or a body can answer 400 with a sentence:
    say so once here rather than in each (what schemathesis checks every answer against)."""
    for item in paths.values():
        for op in item.values():
            if (op.get("parameters") or op.get("requestBody")) and "400" not in op["responses"]:
                op["responses"]["400"] = error(BAD_REQUEST)
    return paths


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "evfault API",
            "version": VERSION,
            "description": "EV-charger error codes (OCPP 1.6/2.0.1, EVgo and ChargeX MREC) as "
                           "incidents operators can act on. Errors are JSON: "
                           '{"error": "one sentence"}.',
            "license": {"name": "Apache-2.0"},
        },
        "tags": [
            {"name": "operator", "description": "Chargers, incidents and the live stream."},
            {"name": "codes", "description": "The code catalog and the decoder."},
            {"name": "service", "description": "Health of the server."},
            {"name": "sites", "description": "Fuse limits shared by chargers, meters and EMS."},
            {"name": "reports", "description": "MTTR, NEVI uptime, outages and EV-ChART."},
            DRIVER_TAG,
            {"name": "alerts", "description": "The alert outbox and the self-healing and "
                                              "alert rules."},
            {"name": "access", "description": "The charger registry, refused connections and "
                                              "the audit log."},
        ],
        "paths": with_bad_request(public_marked({
            **code_paths(), **operator_paths(), **trust_paths(), **site_paths(),
            **command_paths(), **report_paths(), **driver_paths(), **alert_paths(),
            **tag_paths()})),
        "components": {"schemas": schemas(), "securitySchemes": SECURITY_SCHEMES},
        "security": LOGGED_IN,
    }
