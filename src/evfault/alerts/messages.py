"""What an alert says: the JSON a webhook receives, and the e-mail made from the same data.

Pure. The payload is built once, when the message is written to the outbox, and stored with
it, so a message sent after a restart says exactly what it said when it was due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evfault.alerts.engine import Due, Kind

Payload = dict[str, Any]


def payload(due: Due) -> Payload:
    """The webhook body (and the e-mail's data) for one message."""
    s = due.subject
    return {
        "id": due.key,
        "kind": due.kind.value,
        "rule": due.rule.name,
        "at": _iso(due.at),
        "charger_id": s.charger_id,
        "connector_id": s.connector_id,
        "incident_id": None if s.offline else s.key,
        "offline": s.offline,
        "scheme": s.scheme,
        "code": s.code,
        "title": s.title,
        "severity": s.severity,
        "info": s.info,
        "since": _iso(s.since),
        "active_for_s": round(max(0.0, (due.at - s.since).total_seconds())),
    }


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _where(p: Payload) -> str:
    connector = p.get("connector_id")
    return f"{p['charger_id']}" + (f" connector {connector}" if connector else "")


def _for(seconds: int) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def subject_line(p: Payload) -> str:
    """The e-mail's subject: one line, whatever a charger put in its codes."""
    what = "offline" if p["offline"] else f"{p['code']} ({p['severity']})"
    if p["kind"] == Kind.RESOLVED:
        line = f"[evfault] Resolved: {_where(p)} {what}"
    else:
        again = "Still: " if p["kind"] == Kind.REPEAT else ""
        line = f"[evfault] {again}{_where(p)} {what}"
    return "".join(ch if ch.isprintable() else " " for ch in line)


def email_text(p: Payload) -> str:
    """The plain-text body of the e-mail."""
    lines = [subject_line(p).removeprefix("[evfault] "), ""]
    if p["kind"] == Kind.RESOLVED:
        lines.append(f"Cleared after {_for(p['active_for_s'])} (since {p['since']}).")
    else:
        lines.append(f"Active for {_for(p['active_for_s'])}, since {p['since']}.")
    lines += [
        "",
        f"Charger:   {p['charger_id']}",
        f"Connector: {p['connector_id'] if p['connector_id'] is not None else '-'}",
        f"Code:      {p['scheme']}:{p['code']} - {p['title']}",
        f"Severity:  {p['severity']}",
    ]
    if p.get("info"):
        lines.append(f"Info:      {p['info']}")
    lines += ["", f"Rule: {p['rule']} · message {p['id']}"]
    return "\n".join(lines) + "\n"
