"""The OpenAPI parts of commands: send one to a charger and wait for its answer; the history."""

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
        "command": {"type": "string", "enum": list(COMMANDS)},
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
        "CommandRefused": {"type": "object", "required": ["error", "command"], "properties": {
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
