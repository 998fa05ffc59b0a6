"""The OpenAPI parts of the reliability reports (web/reports.py)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
NUM = {"type": "number"}
INT = {"type": "integer"}
STR = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "properties": properties,
            "required": [k for k in properties if k not in optional]}


def _null(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def report_schemas() -> dict[str, Schema]:
    span = {"since": TIME, "until": TIME}
    mttr_row = _obj({
        "group": STR, "incidents": {**INT, "description": "Cleared incidents in the group."},
        "mean_s": NUM, "median_s": NUM, "mean_min": NUM, "median_min": NUM,
        "remote": {**INT, "description": "Cleared after a remote action."},
        "visit": {**INT, "description": "Cleared after a visit to the charger."},
        "self_cleared": {**INT, "description": "Cleared with no action recorded."},
        "still_open": {**INT, "description": "Opened in the window, not cleared yet."}})
    port = _obj({
        "charger_id": STR, "connector_id": INT, **span,
        "outage_min": {**NUM, "description": "T_outage, minutes."},
        "excluded_min": {**NUM, "description": "T_excluded, minutes."},
        "period_min": {**NUM, "description": "P, minutes (525,600 for 365 days)."},
        "uptime": {**NUM, "description": "µ = (P − (T_outage − T_excluded)) / P × 100, %."},
        "outages": INT, "below_target": {"type": "boolean"}})
    outage = _obj({
        "id": STR, "charger_id": STR, "connector_id": INT, "start": TIME,
        "end": _null(TIME), "ongoing": {"type": "boolean"}, "minutes": NUM,
        "causes": {"type": "array", "items": STR}, "excluded": {"type": "boolean"},
        "excluded_reason": _null({**INT, "minimum": 1, "maximum": 6}),
        "excluded_notes": _null(STR)})
    return {
        "MttrReport": _obj({"group_by": STR, **span,
                            "rows": {"type": "array", "items": mttr_row}}),
        "UptimeReport": _obj({**span, "period_min": NUM, "target": NUM,
                              "ports": {"type": "array", "items": port},
                              "months": {"type": "array", "items": {
                                  "allOf": [port, _obj({"month": STR})]}}},
                             optional=("months",)),
        "Outage": outage,
        "OutageList": _obj({**span, "outages": {"type": "array", "items": _ref("Outage")},
                            "reasons": {"type": "object",
                                        "additionalProperties": STR}}),
        "ReliabilityReport": _obj({
            "window": _obj({**span, "minutes": NUM}), "target_uptime": NUM,
            "totals": {"type": "object", "additionalProperties": INT},
            "mttr": {"type": "object", "additionalProperties": {"type": "array",
                                                                "items": mttr_row}},
            "mttr_all": {"type": "array", "items": mttr_row},
            "mtbf": {"type": "array", "items": {"type": "object"}},
            "uptime": {"type": "array", "items": port},
            "outages": {"type": "array", "items": _ref("Outage")},
            "success": {"type": "array", "items": {"type": "object"}},
            "incidents_per_day": {"type": "array", "items": _obj({"day": STR, "opened": INT})},
            "worst_chargers": {"type": "array", "items": _obj(
                {"charger_id": STR, "incidents": INT, "lowest_uptime": NUM})}}),
        "Exclusion": _obj({"reason": _null({**INT, "minimum": 1, "maximum": 6}),
                           "notes": STR}, optional=("notes",)),
    }


def _q(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or STR}


WINDOW = [_q("since", "Start (ISO 8601; default: 365 days before until).", TIME),
          _q("until", "End (ISO 8601; default: now).", TIME)]
BAD = {"400": _json(_ref("Error"), "A query value could not be used; the sentence says which.")}


def report_paths() -> dict[str, Schema]:
    def get(summary: str, schema: str, params: list[Schema], description: str = "") -> Schema:
        return {"get": {"summary": summary, "tags": ["reports"], "parameters": params,
                        "description": description,
                        "responses": {"200": _json(_ref(schema), summary), **BAD}}}

    groups = {"type": "string", "enum": ["code", "scheme", "charger", "connector", "vendor",
                                         "model", "firmware", "month", "week", "day", "all"]}
    return {
        "/api/v1/reports/mttr": get(
            "Mean and median time to repair per group", "MttrReport",
            [_q("group_by", "How to group (default code).", groups), *WINDOW],
            "Incidents opened in the window; repairs sorted by the actions recorded."),
        "/api/v1/reports/uptime": get(
            "NEVI uptime per port (23 CFR 680.116(b))", "UptimeReport",
            [*WINDOW, _q("monthly", "true: also µ per port for each month of the window, each "
                                    "over the twelve months ending with it (P = 525,600).",
                         {"type": "string", "enum": ["true", "false"]})],
            "Outage from Faulted/Unavailable, errors that stop charging and the charger "
            "offline; operators' exclusions subtracted. Lowest first."),
        "/api/v1/reports/outages": get(
            "Outages with their causes and exclusions", "OutageList",
            [*WINDOW, _q("charger_id", "Only this charger.")]),
        "/api/v1/reports/reliability": get(
            "The whole reliability report (the Reliability page's data)", "ReliabilityReport",
            WINDOW, "Totals, MTTR by code/charger/vendor/model, MTBF, uptime per port, "
            "outages, charging success, incidents per day and the worst chargers."),
        "/api/v1/reports/ev-chart": {"get": {
            "summary": "EV-ChART uptime (module 3) and outage (module 4) rows as CSV",
            "tags": ["reports"], "parameters": [{
                "name": "quarter", "in": "query", "required": True,
                "description": "The quarter, like 2026Q3.", "schema": STR}],
            "responses": {"200": {"description": "Module 3 rows, a blank line, module 4 rows.",
                                  "content": {"text/csv": {"schema": STR}}}, **BAD}}},
        "/api/v1/outages/{outage_id}/exclusion": {"put": {
            "summary": "Exclude an outage from uptime with one of the six reasons (operators)",
            "tags": ["reports"],
            "parameters": [{"name": "outage_id", "in": "path", "required": True,
                            "schema": STR}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("Exclusion")}}},
            "responses": {
                "200": _json(_ref("Outage"), "The outage with its exclusion."), **BAD,
                "403": _json(_ref("Error"), "Needs the operator role."),
                "404": _json(_ref("Error"), "No such outage.")}}},
    }
