"""The OpenAPI parts of acting on chargers: commands and their history; the idTag allow-list."""

from __future__ import annotations

from typing import Any

from evfault.commands.model import CommandStatus
from evfault.commands.vocabulary import COMMANDS

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


ANY: Schema = {"nullable": True, "description": "Any JSON value."}


def command_schemas() -> dict[str, Schema]:
    text, when = {"type": "string"}, {"type": "string", "format": "date-time"}
    outcome = {
        "id": text, "charger_id": text,
        # As it was asked: a refused command is recorded too, unknown names included.
        "command": {"type": "string", "description": "One of " + ", ".join(COMMANDS)
                    + " (a refused one as it was asked)."},
        "args": {"type": "object", "additionalProperties": True},
        "actor": {**text, "description": "Who sent it: a user, or rule:NAME for self-healing."},
        "status": {"type": "string", "enum": [s.value for s in CommandStatus]},
        "action": _nullable({**text, "description": "The OCPP action it became."}),
        "payload": _nullable({"type": "object", "additionalProperties": True,
                              "description": "The CALL's payload as sent."}),
        "answer": {**ANY, "description": "The charger's CALLRESULT payload (or the "
                                         "CALLERROR's details)."},
        "error": _nullable({**text, "description": "One sentence: a CALLERROR, the timeout, "
                                                  "why it could not be sent."}),
        "sent_at": when, "answered_at": _nullable(when),
        "duration_ms": _nullable({"type": "number"}),
        "node": _nullable({**text, "description": "The node holding the connection."}),
    }
    return {
        "Command": {"type": "object", "properties": outcome, "required": list(outcome)},
        "CommandList": {"type": "object", "required": ["commands"], "properties": {
            "commands": {"type": "array", "items": _ref("Command")}}},
        "CommandRequest": {"type": "object", "required": ["command"], "properties": {
            "command": {"type": "string", "enum": list(COMMANDS)},
            "args": {"type": "object", "additionalProperties": True,
                     "description": "The command's arguments (docs/commands.md), e.g. "
                                    '{"type": "soft"} for reset.'}}},
        # `command` is there when the body was understood (a 400 for an unreadable body
        # carries the sentence alone).
        "CommandRefused": {"type": "object", "required": ["error"], "properties": {
            "error": text, "command": _ref("Command")}},
    }


def command_paths() -> dict[str, Schema]:
    charger = {"name": "charger_id", "in": "path", "required": True,
               "schema": {"type": "string"}, "description": "Charge point id"}
    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}
    refused = _json(_ref("CommandRefused"), "")
    return {"/api/v1/chargers/{charger_id}/commands": {
        "post": {
            "summary": "Send a command to a charger and wait (bounded) for its answer "
                       "(operator)",
            "description": "The command is spelled for the charger's OCPP version and checked "
                           "against its schema before it is sent. A 200 carries what the "
                           "charger did: accepted, scheduled, rejected, failed, not-supported, "
                           "error (a CALLERROR) or timeout.",
            "tags": ["operator"], "parameters": [charger],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("CommandRequest")}}},
            "responses": {
                "200": _json(_ref("Command"), "The charger's answer, or the timeout."),
                "400": {**refused, "description": "The command cannot be sent as asked; "
                                                  "nothing reached the charger."},
                "409": {**refused, "description": "The charger is not connected."},
                "403": _json(_ref("Error"), "Viewers may not send commands."),
            }},
        "get": {
            "summary": "The command history of one charger, newest first (operator)",
            "tags": ["operator"], "parameters": [charger, limit],
            "responses": {"200": _json(_ref("CommandList"), "Who sent what, when, and the "
                                                            "answer or the timeout."),
                          "403": _json(_ref("Error"), "Viewers may not see it.")}},
    }}


def tag_schemas() -> dict[str, Schema]:
    text, when = {"type": "string"}, {"type": "string", "format": "date-time"}
    tag = {"id_tag": text, "parent": _nullable(text), "expires_at": _nullable(when),
           "blocked": {"type": "boolean"}, "note": _nullable(text), "created_at": when,
           "updated_at": when}
    return {
        "IdTag": {"type": "object", "properties": tag, "required": list(tag)},
        "IdTagList": {"type": "object", "required": ["tags"], "properties": {
            "tags": {"type": "array", "items": _ref("IdTag")}}},
        "IdTagChange": {"type": "object", "properties": {
            "parent": _nullable({**text, "description": "Blocked or expired with this tag."}),
            "expires_at": _nullable(when), "blocked": {"type": "boolean"},
            "note": _nullable({**text, "description": "For people; never sent to chargers."}),
        }},
    }


def tag_paths() -> dict[str, Schema]:
    tag = {"name": "id_tag", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "The RFID idTag (1.6) or idToken (2.0.1)"}
    denied = _json(_ref("Error"), "Viewers may not.")
    return {
        "/api/v1/id-tags": {"get": {
            "summary": "The idTag allow-list (operator)", "tags": ["operator"],
            "parameters": [],
            "responses": {"200": _json(_ref("IdTagList"), "Every listed tag."),
                          "403": denied}}},
        "/api/v1/id-tags/{id_tag}": {
            "put": {
                "summary": "List a tag or change it (operator); chargers are answered by it "
                           "at once",
                "tags": ["operator"], "parameters": [tag],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("IdTagChange")}}},
                "responses": {"200": _json(_ref("IdTag"), "The tag as stored."),
                              "400": _json(_ref("Error"), "One sentence: what was wrong."),
                              "403": denied}},
            "delete": {
                "summary": "Take a tag off the list (operator)", "tags": ["operator"],
                "parameters": [tag],
                "responses": {"204": {"description": "Gone."},
                              "404": _json(_ref("Error"), "It was not on the list."),
                              "403": denied}},
        },
    }
