"""Store rows and live changes as the JSON-ready dicts every face of the web layer serves.

The API, the HTML pages and the event stream all use these functions, so an incident looks the
same wherever a person or a program meets it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from evfault.alerts.healing import Attempt
from evfault.catalog.catalog import Catalog
from evfault.catalog.model import Severity
from evfault.commands.recommended import actions_json
from evfault.store.model import ChargerRow, ConnectorRow, MessageRow
from evfault.tracking.model import (
    ConnectivityChange,
    Incident,
    IncidentChange,
    StatusChange,
)
from evfault.web.text import pill, reading_as_sent

Json = dict[str, Any]

# An incident whose severity the catalog does not know sorts with the warnings.
_DEFAULT_RANK = Severity.WARNING.rank


def iso(at: datetime | None) -> str | None:
    """UTC time in ISO 8601 with a Z; a time without a zone is taken as UTC."""
    if at is None:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat().replace("+00:00", "Z")


def segment(value: str) -> str:
    """One path segment, escaped so any charger id or code survives a round trip in a URL."""
    return quote(value, safe="")


def charger_url(charger_id: str) -> str:
    return f"/chargers/{segment(charger_id)}"


def help_url(scheme: str, code: str) -> str:
    return f"/help/{segment(scheme)}/{segment(code)}"


def severity_rank(severity: str | None) -> int:
    try:
        return Severity(severity or "").rank
    except ValueError:
        return _DEFAULT_RANK


def explanation(catalog: Catalog, scheme: str, code: str, lang: str) -> Json | None:
    """What the catalog says an operator should know and do about a code, if it knows it."""
    entry = catalog.get(scheme, code)
    if entry is None:
        return None
    text = entry.text(lang)
    return {
        "summary": text.summary,
        "operator_steps": list(text.operator_steps),
        "help_url": help_url(entry.scheme, entry.code),
        # Steps evfault can take remotely (read from the English text, the catalog's source).
        "step_actions": actions_json(entry.text("en").operator_steps),
    }


def healing_action(attempt: Attempt) -> Json:
    """One self-healing action as the incident's `actions` list shows it."""
    return {
        "action": attempt.action.value, "rule": attempt.rule, "step": attempt.step,
        "at": iso(attempt.at), "status": attempt.status, "answer": attempt.answer,
        "error": attempt.error, "cleared": attempt.cleared, "checked_at": iso(attempt.checked_at),
    }


def explainer(catalog: Catalog, lang: str) -> Callable[[str, str], Json | None]:
    """`explanation` remembered per code: a board of 2,000 errors has a few dozen codes."""
    known: dict[tuple[str, str], Json | None] = {}

    def explain(scheme: str, code: str) -> Json | None:
        key = (scheme, code)
        if key not in known:
            known[key] = explanation(catalog, scheme, code, lang)
        return known[key]
    return explain


def incident(inc: Incident, now: datetime, catalog: Catalog, lang: str = "en",
             actions: Sequence[Attempt] = (),
             explain: Callable[[str, str], Json | None] | None = None) -> Json:
    reading = None
    if inc.reading_value is not None:
        reading = {"value": inc.reading_value, "unit": inc.reading_unit,
                   "text": reading_as_sent(inc.info, inc.reading_value)}
    shown_pill = None
    if inc.warning_only:
        words, classes = pill(inc.severity)
        shown_pill = {"text": words, "class": classes}
    return {
        "id": inc.id,
        "charger_id": inc.charger_id,
        "connector_id": inc.connector_id,
        "scheme": inc.scheme,
        "code": inc.code,
        "ref": f"{inc.scheme}:{inc.code}",
        "title": inc.title,
        "severity": inc.severity,
        "info": inc.info,
        "reading": reading,
        "status": inc.status,
        "vendor_id": inc.vendor_id,
        "error_code": inc.error_code,
        "warning_only": inc.warning_only,
        "pill": shown_pill,
        "time_flagged": inc.time_flagged,
        "code_guessed": inc.code_guessed,
        "opened_at": iso(inc.opened_at),
        "opened_received_at": iso(inc.opened_received_at),
        "last_seen_at": iso(inc.last_seen_at),
        "reports": inc.reports,
        "active": inc.active,
        "cleared_at": iso(inc.cleared_at),
        "cleared_by": None if inc.cleared_by is None else str(inc.cleared_by),
        "duration_s": round(inc.duration_s(now), 3),
        "charger_url": charger_url(inc.charger_id),
        "explanation": (explain(inc.scheme, inc.code) if explain
                        else explanation(catalog, inc.scheme, inc.code, lang)),
        "actions": [healing_action(a) for a in actions],
    }


def incident_sort_key(inc: Incident) -> tuple[int, datetime, str]:
    """Most severe first, then the oldest (it has waited longest for a repair)."""
    return (-severity_rank(inc.severity), aware(inc.opened_at), inc.id)


def aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def connector(
    charger_id: str, connector_id: int, row: ConnectorRow | None, errors: list[Json]
) -> Json:
    return {
        "charger_id": charger_id,
        "connector_id": connector_id,
        "status": row.status if row else None,
        "error_code": row.error_code if row else None,
        "updated_at": iso(row.updated_at) if row else None,
        "active_errors": errors,
    }


def charger(row: ChargerRow, connectors: list[Json]) -> Json:
    # An offline charger's connectors may have changed since it last said: their status is
    # unknown from the moment it went offline (the last one reported stays in `status`).
    unknown_since = None if row.online else iso(row.offline_since or row.last_seen)
    for one in connectors:
        one["unknown_since"] = unknown_since
    errors = [e for c in connectors for e in c["active_errors"]]
    worst = max(errors, key=lambda e: severity_rank(e["severity"]), default=None)
    return {
        "id": row.charger_id,
        "url": charger_url(row.charger_id),
        "online": row.online,
        "offline_since": iso(row.offline_since),
        "last_seen": iso(row.last_seen),
        "first_seen": iso(row.first_seen),
        "vendor": row.vendor,
        "model": row.model,
        "serial": row.serial,
        "firmware": row.firmware,
        "protocol": row.protocol,
        "booted_at": iso(row.booted_at),
        "error_count": len(errors),
        "worst_severity": worst["severity"] if worst else None,
        "connectors": connectors,
    }


def status_change(change: StatusChange) -> Json:
    return {
        "charger_id": change.charger_id,
        "connector_id": change.connector_id,
        "status": change.status,
        "previous": change.previous,
        "at": iso(change.at),
    }


def connectivity(change: ConnectivityChange) -> Json:
    return {
        "charger_id": change.charger_id,
        "online": change.online,
        "at": iso(change.at),
        "reason": change.reason,
    }


def message(row: MessageRow) -> Json:
    return {
        "id": row.id,
        "charger_id": row.charger_id,
        "direction": row.direction,
        "at": iso(row.at),
        "action": row.action,
        "message_id": row.message_id,
        "raw": row.raw,
    }


def incident_change(change: IncidentChange, now: datetime, catalog: Catalog) -> Json:
    return {"kind": str(change.kind), "incident": incident(change.incident, now, catalog)}
