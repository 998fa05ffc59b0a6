"""The OpenAPI parts of alerts: the outbox's messages and the rules document."""

from __future__ import annotations

from typing import Any

from evfault.web import openapi as o  # its helpers; it imports this module back

Schema = dict[str, Any]


def _s(description: str = "", nullable: bool = False, **more: Any) -> Schema:
    return {**o.string(description, nullable), **more}


def _message() -> Schema:
    return o.obj({
        "id": o.integer("Row id; page back with ?before=<the last id seen>."),
        "key": _s("The message's id: the webhook's Idempotency-Key and body `id`."),
        "rule": _s("The alert rule that wrote it."),
        "kind": _s(enum=["alert", "repeat", "resolved"]),
        "charger_id": _s(), "connector_id": o.integer(nullable=True),
        "incident_id": _s("The incident it is about; null for a charger offline.", True),
        "offline": o.boolean("About a charger being offline."),
        "scheme": _s(nullable=True), "code": _s(nullable=True), "title": _s(nullable=True),
        "severity": _s(nullable=True),
        "channel": _s(enum=["email", "webhook"]),
        "target": _s("The addresses (comma-separated) or the webhook URL."),
        "state": _s(enum=["pending", "sent", "failed"]),
        "attempts": o.integer("Delivery attempts so far."),
        "created_at": o.time("When it was written to the outbox."),
        "next_attempt_at": o.time("While pending: when the next attempt is due.", True),
        "sent_at": o.time("When it was delivered.", True),
        "last_error": _s("Why the last attempt failed.", True),
    })


def _rules() -> Schema:
    named = {"type": "array", "items": {"type": "object"}}
    return o.obj({
        "text": _s("The rules document (YAML), as stored."),
        "version": o.integer("Stored version in force; null: the built-in rules.", True),
        "source": _s("file:<path>, api, or default."),
        "actor": _s("Who stored it.", True),
        "created_at": o.time(nullable=True),
        "rules": o.obj({"self_healing": named, "alerts": named}),
    })


def alert_schemas() -> dict[str, Schema]:
    counts = o.obj({"pending": o.integer(), "sent": o.integer(), "failed": o.integer()})
    return {
        "AlertMessage": _message(),
        "AlertList": o.obj({"alerts": {"type": "array", "items": o.ref("AlertMessage")},
                           "counts": counts}),
        "Rules": _rules(),
    }


def alert_paths() -> dict[str, Schema]:
    bad = o.json_body(o.ref("Error"), "Something in the request could not be used; the sentence "
                               "says what.")
    admins = o.json_body(o.ref("Error"), "Only admins read and change the rules.")
    return {
        "/api/v1/alerts": {"get": {
            "summary": "The alert outbox: messages pending, sent and failed, newest first",
            "tags": ["alerts"],
            "parameters": [
                o.query("state", "Only messages in this state.",
                      {"type": "string", "enum": ["pending", "sent", "failed"]}),
                o.query("charger_id", "Only messages about this charger."),
                o.query("limit", "Page size (default 100).",
                      {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
                o.query("before", "Only messages with a smaller id (paging).",
                      {"type": "integer", "minimum": 0})],
            "responses": {"200": o.json_body(o.ref("AlertList"), "The messages and the counts."),
                          "400": bad}}},
        "/api/v1/alerts/{alert_id}": {"get": {
            "summary": "One message of the alert outbox", "tags": ["alerts"],
            "parameters": [o.path("alert_id", "The message's row id.")],
            "responses": {"200": o.json_body(o.ref("AlertMessage"), "The message."),
                          "404": o.error("No such message.")}}},
        "/api/v1/alerts/{alert_id}/retry": {"post": {
            "summary": "Send a failed message again (operators); audited",
            "tags": ["alerts"],
            "parameters": [o.path("alert_id", "The message's row id.")],
            "responses": {"200": o.json_body(o.ref("AlertMessage"), "Pending again."),
                          "404": o.error("No such message."),
                          "409": o.error("The message is not a failed one.")}}},
        "/api/v1/rules": {
            "get": {"summary": "The self-healing and alert rules in force (admins)",
                    "tags": ["alerts"], "parameters": [],
                    "responses": {"200": o.json_body(o.ref("Rules"), "The rules."), "403": admins}},
            "put": {"summary": "Replace the rules (admins); every node uses them at its next "
                               "check",
                    "tags": ["alerts"], "parameters": [],
                    "requestBody": {"required": True, "content": {
                        "application/yaml": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"type": "object"}}}},
                    "responses": {"200": o.json_body(o.ref("Rules"), "The rules now in force."),
                                  "400": bad, "403": admins}}},
    }
