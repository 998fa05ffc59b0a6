"""The OpenAPI parts of sites: the site picture (limits, shares, sources) and its endpoints."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _obj(properties: dict[str, Schema], nullable: bool = False) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "required": list(properties)}
    if nullable:
        schema["nullable"] = True
    return schema


def _num(description: str = "", nullable: bool = False) -> Schema:
    schema: Schema = {"type": "number", "description": description}
    if nullable:
        schema["nullable"] = True
    return schema


def _enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def _source() -> Schema:
    return _obj({"url": {"type": "string"}, "state": _enum("online", "offline", "unknown"),
                 "value_a": _num("The latest reading (A per phase) while online.", True),
                 "fallback_a": _num("What applies while offline or unknown.")}, nullable=True)


def _config() -> Schema:
    """A site as the site file writes it (docs/sites.md)."""
    charger = {"type": "object", "required": ["id", "max_current_a"], "properties": {
        "id": {"type": "string"}, "max_current_a": _num(),
        "fallback_current_a": _num("None: the charger has no fallback.", True),
        "min_current_a": _num(), "dc": {"type": "boolean"},
        "fallback_key": {"type": "string", "nullable": True,
                         "description": "A configuration key the charger takes its fallback "
                                        "current through (set once per connection)."}}}
    source = {"type": "object", "nullable": True, "required": ["url", "fallback_a"],
              "properties": {"url": {"type": "string"}, "unit": {"type": "integer"},
                             "register": {"type": "integer"}, "scale": _num(),
                             "fallback_a": _num(), "interval_s": _num(), "grace_s": _num(),
                             "kind": _enum("holding", "input"), "signed": {"type": "boolean"},
                             "words": {"type": "integer", "enum": [1, 2]}}}
    return {"type": "object", "required": ["fuse_limit_a"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "fuse_limit_a": _num(),
        "phases": {"type": "integer", "enum": [1, 3]},
        "chargers": {"type": "array", "items": charger}, "meter": source, "ems": source}}


def site_schemas() -> dict[str, Schema]:
    share = _obj({
        "id": {"type": "string"}, "state": _enum("charging", "idle", "offline", "faulted"),
        "allocated_a": _num("The limit it is sent (A per phase)."),
        "reserved_a": _num("Kept aside while it is offline."),
        "paused": {"type": "boolean", "description": "Wants current, its minimum does not fit."},
        "max_current_a": _num(), "fallback_current_a": _num(nullable=True),
        "sent_a": _num("The limit the charger last accepted.", True),
        "sent_at": {"type": "string", "format": "date-time", "nullable": True},
        "profile_answer": {"type": "string", "nullable": True,
                           "description": "What became of the last profile sent (accepted, "
                                          "rejected, not-supported, error, timeout, offline)."},
        "fallback_config": {"type": "string", "nullable": True,
                            "description": "What became of setting fallback_key."},
        "refuses_profiles": {"type": "string", "nullable": True,
                             "description": "Why the charger is flagged: it refuses charging "
                                          "profiles, so its capacity is reserved."}})
    site = _obj({
        "id": {"type": "string"}, "name": {"type": "string"},
        "phases": {"type": "integer"}, "fuse_limit_a": _num("Per phase."),
        "limit_a": _num("The fuse, lowered by the EMS (or its fallback)."),
        "limit_source": _enum("fuse", "ems", "ems-fallback"),
        "metered_a": _num("The building's load, or the meter's fallback."),
        "meter_source": _enum("meter", "meter-fallback", "none"),
        "allocated_a": _num(), "reserved_a": _num(), "headroom_a": _num(),
        "overloaded": {"type": "boolean"},
        "computed_at": {"type": "string", "format": "date-time", "nullable": True},
        "meter": _source(), "ems": _source(),
        "chargers": {"type": "array", "items": share},
        "link_cut": {"type": "boolean", "description": "Every device of the site is silent: "
                                                       "evfault's link to it is cut."},
        "notifications": {"type": "array", "items": _ref("SiteNotification")},
        "config": _ref("SiteConfig")})
    note = _obj({
        "id": {"type": "string"},
        "code": _enum("ChargerOffline", "ControllerOffline", "EmsOffline", "EmsUnknown",
                      "MeterOffline", "MeterUnknown"),
        "ref": {"type": "string"}, "subject": {"type": "string", "nullable": True},
        "title": {"type": "string"}, "severity": {"type": "string"},
        "summary": {"type": "string", "nullable": True},
        "operator_steps": {"type": "array", "items": {"type": "string"}},
        "help_url": {"type": "string"},
        "info": {"type": "object", "description": "What load management did: amps, action "
                                                  "(reserved, limit, assumed), kind."},
        "opened_at": {"type": "string", "format": "date-time"},
        "cleared_at": {"type": "string", "format": "date-time", "nullable": True}})
    sample = _obj({"at": {"type": "string", "format": "date-time"}, "limit_a": _num(),
                   "metered_a": _num(), "allocated_a": _num(), "reserved_a": _num()})
    history = _obj({"site_id": {"type": "string"},
                    "since": {"type": "string", "format": "date-time"},
                    "samples": {"type": "array", "items": sample}})
    return {"Site": site, "SiteList": _obj({"sites": {"type": "array", "items": _ref("Site")}}),
            "SiteConfig": _config(), "SiteNotification": note, "SiteHistory": history}


def site_paths() -> dict[str, Schema]:
    site_id = {"name": "site_id", "in": "path", "required": True, "schema": {"type": "string"}}
    missing = _json(_ref("Error"), "No such site.")
    return {
        "/api/v1/sites": {"get": {
            "summary": "Sites: limits, allocations, reservations, meter and EMS states",
            "tags": ["sites"], "parameters": [],
            "responses": {"200": _json(_ref("SiteList"), "Every site this server manages.")}}},
        "/api/v1/sites/{site_id}": {
            "get": {"summary": "One site", "tags": ["sites"], "parameters": [site_id],
                    "responses": {"200": _json(_ref("Site"), "The site now."), "404": missing}},
            "put": {"summary": "Add or replace a site (admin; stored and audited)",
                    "tags": ["sites"], "parameters": [site_id],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": _ref("SiteConfig")}}},
                    "responses": {
                        "200": _json(_ref("Site"), "The site as now managed."),
                        "400": _json(_ref("Error"), "The site cannot be used; the sentence "
                                                    "says why."),
                        "403": _json(_ref("Error"), "Your role may not."),
                        "409": _json(_ref("Error"), "The site comes from the site file.")}}},
        "/api/v1/sites/{site_id}/history": {"get": {
            "summary": "The site's limit and its use over time (the day's plot)",
            "tags": ["sites"], "parameters": [site_id, {
                "name": "since", "in": "query", "required": False,
                "schema": {"type": "string", "format": "date-time"},
                "description": "From when (default: a day ago)."}],
            "responses": {"200": _json(_ref("SiteHistory"), "Samples, oldest first."),
                          "404": missing}}},
    }
