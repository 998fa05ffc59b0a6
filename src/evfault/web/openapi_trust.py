"""The OpenAPI parts of access control: security schemes, the registry, refusals, audit log.

Kept beside openapi.py (which merges them) so the access endpoints are described where they
are, and which endpoints are public is decided by the same rule the middleware applies.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

SECURITY_SCHEMES: Schema = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "A token from `evfault users token NAME`."},
    "session": {"type": "apiKey", "in": "cookie", "name": "evfault_session",
                "description": "The dashboard's login session; changes also need the "
                               "`x-csrf-token` header."},
}
LOGGED_IN: list[Schema] = [{"bearer": []}, {"session": []}]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _text(nullable: bool = False, fmt: str | None = None) -> Schema:
    schema: Schema = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    if nullable:
        schema["nullable"] = True
    return schema


def _obj(properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties)}


def trust_schemas() -> dict[str, Schema]:
    when = _text(nullable=True, fmt="date-time")
    entry = _obj({
        "id": _text(), "state": {"type": "string", "enum": ["accepted", "pending", "rejected"]},
        "profile": {"type": "integer", "minimum": 0, "maximum": 3},
        "has_password": {"type": "boolean"}, "certificate_identity": _text(nullable=True),
        "first_seen": when, "last_seen": when, "last_address": _text(nullable=True),
        "created_at": when, "updated_at": when,
        "online": {"type": "boolean", "nullable": True},
    })
    return {
        "RegistryEntry": entry,
        "RegistryList": _obj({"chargers": {"type": "array", "items": _ref("RegistryEntry")}}),
        "RegistryCreated": _obj({
            "charger": _ref("RegistryEntry"),
            "password": {**_text(nullable=True),
                         "description": "A generated password, shown this once."},
        }),
        "RefusedList": _obj({"refused": {"type": "array", "items": _obj({
            "charger_id": _text(), "address": _text(), "reason": _text(),
            "count": {"type": "integer"}, "first_at": _text(fmt="date-time"),
            "last_at": _text(fmt="date-time"),
        })}}),
        "AuditList": _obj({"audit": {"type": "array", "items": _obj({
            "id": {"type": "integer"}, "at": _text(fmt="date-time"), "actor": _text(),
            "action": _text(), "target": _text(), "detail": _text(nullable=True),
        })}}),
    }


def _op(summary: str, ok: Schema, *, status: str = "200", body: Schema | None = None,
        params: list[Schema] | None = None, errors: dict[str, str] | None = None) -> Schema:
    responses = {status: ok} | {
        code: _json(_ref("Error"), text) for code, text in (errors or {}).items()}
    op: Schema = {"summary": summary, "tags": ["access"], "parameters": params or [],
                  "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {
            "schema": body}}}
    return op


def trust_paths() -> dict[str, Schema]:
    charger = {"name": "charger_id", "in": "path", "required": True,
               "schema": {"type": "string"}, "description": "Charge point id"}
    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
    entry = _json(_ref("RegistryEntry"), "The entry.")
    created = _json(_ref("RegistryCreated"), "The entry, with a generated password once.")
    missing = {"404": "No such charger in the registry.", "403": "Your role may not."}
    add_body = _obj({"id": _text(), "profile": {"type": "integer"},
                     "password": _text(), "generate_password": {"type": "boolean"},
                     "certificate_identity": _text(), "pending": {"type": "boolean"}})
    add_body["required"] = ["id"]
    password_body = _obj({"password": _text(), "generate_password": {"type": "boolean"},
                          "profile": {"type": "integer"}})
    del password_body["required"]  # OpenAPI 3.0 refuses an empty list
    base = "/api/v1/registry/chargers"
    return {
        base: {
            "get": _op("The charger registry", _json(_ref("RegistryList"), "Entries by id.")),
            "post": _op("Add a charger (admin)", created, status="201", body=add_body,
                        errors={"400": "The entry could not be added; the sentence says why.",
                                "403": "Your role may not."}),
        },
        f"{base}/{{charger_id}}": {"get": _op("One registry entry", entry, params=[charger],
                                              errors={"404": missing["404"]})},
        f"{base}/{{charger_id}}/approve": {"post": _op(
            "Approve a charger (operator): its next boot is Accepted", entry, params=[charger],
            errors=missing)},
        f"{base}/{{charger_id}}/reject": {"post": _op(
            "Reject a charger (operator): it is disconnected and refused", entry,
            params=[charger], errors=missing)},
        f"{base}/{{charger_id}}/password": {"post": _op(
            "Set or generate a charger's password (admin)", created, params=[charger],
            body=password_body, errors=missing)},
        "/api/v1/connections/refused": {"get": _op(
            "Recently refused connections: id, address, reason, count",
            _json(_ref("RefusedList"), "The most recent first."), params=[limit])},
        "/api/v1/audit": {"get": _op(
            "Who changed what, newest first (admin)", _json(_ref("AuditList"), "Entries."),
            params=[limit, {"name": "before", "in": "query", "required": False,
                            "schema": {"type": "integer"},
                            "description": "Only entries with a smaller id (paging)."}],
            errors={"403": "Your role may not."})},
    }


def public_marked(paths: dict[str, Schema]) -> dict[str, Schema]:
    """The same paths, with `security: []` on those anyone may call."""
    from evfault.web.auth import is_public

    for route, operations in paths.items():
        if is_public(route.split("{", 1)[0].rstrip("/") or route):
            for op in operations.values():
                op["security"] = []
    return paths
