"""Registry entries, refusals and audit entries as the JSON the API, pages and CLI all show."""

from __future__ import annotations

from evfault.auth.admin import Created
from evfault.auth.model import AuditEntry, ChargerEntry, Refusal
from evfault.web.shapes import Json, iso


def entry_json(entry: ChargerEntry, online: bool | None = None) -> Json:
    """A registry entry as operators see it: never the password or its hash."""
    return {
        "id": entry.charger_id,
        "state": entry.state.value,
        "profile": entry.profile,
        "has_password": entry.password_hash is not None,
        "certificate_identity": entry.certificate_identity,
        "first_seen": iso(entry.first_seen),
        "last_seen": iso(entry.last_seen),
        "last_address": entry.last_address,
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
        "online": online,
    }


def refusal_json(row: Refusal) -> Json:
    return {"charger_id": row.charger_id, "address": row.address, "reason": row.reason,
            "count": row.count, "first_at": iso(row.first_at), "last_at": iso(row.last_at)}


def audit_json(entry: AuditEntry) -> Json:
    return {"id": entry.id, "at": iso(entry.at), "actor": entry.actor, "action": entry.action,
            "target": entry.target, "detail": entry.detail}


def created_json(created: Created) -> Json:
    assert created.entry is not None
    return {"charger": entry_json(created.entry), "password": created.secret}
