"""The operator's views, each built once from the store and served as JSON, HTML and live.

A view is a plain dict: the API returns it as it is, the templates render it, and the live
stream sends its pieces (an incident, a status change) in the same shapes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import Severity
from evfault.context import Services
from evfault.store.model import ChargerRow, ConnectorRow, IncidentQuery, StoredState
from evfault.tracking.model import ConnectivityChange, Incident, StatusChange
from evfault.web import shapes
from evfault.web.http import ApiError
from evfault.web.params import ErrorFilter, Page
from evfault.web.shapes import Json

RECENT_INCIDENTS = 50
RECENT_MESSAGES = 50
TIMELINE_LENGTH = 200

PLATFORM_SCHEME = "platform"
OFFLINE_CODE = "ChargerOffline"


class NotFound(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


# ---- active errors --------------------------------------------------------------------


def charger_matches(charger_id: str, wanted: str | None) -> bool:
    """The charger filter as people type it: an id or its start, any case (demo-00: DEMO-001)."""
    return not wanted or charger_id.casefold().startswith(wanted.strip().casefold())


def code_matches(scheme: str, code: str, wanted: str | None) -> bool:
    """The code filter: `F001`, `f001` or `evgo-mrec:f001`."""
    if not wanted:
        return True
    typed = wanted.strip().casefold()
    return typed in (code.casefold(), f"{scheme}:{code}".casefold())


def matches(inc: Incident, flt: ErrorFilter) -> bool:
    """Whether an incident passes the dashboard's filters (code may be `scheme:code`)."""
    return (charger_matches(inc.charger_id, flt.charger)
            and (not flt.severity or inc.severity == flt.severity)
            and code_matches(inc.scheme, inc.code, flt.code))


def sorted_active(incidents: Iterable[Incident], flt: ErrorFilter) -> list[Incident]:
    return sorted((i for i in incidents if matches(i, flt)), key=shapes.incident_sort_key)


async def incidents_with_actions(services: Services, incidents: Sequence[Incident],
                                 now: datetime) -> list[Json]:
    """Incidents as the API shows them, each with the self-healing actions taken on it."""
    actions = await services.store.incident_actions([i.id for i in incidents])
    explain = shapes.explainer(services.catalog, "en")
    return [shapes.incident(i, now, services.catalog, actions=actions.get(i.id, ()),
                            explain=explain)
            for i in incidents]


async def active_errors(services: Services, flt: ErrorFilter, page: Page) -> Json:
    """Every active error the filters select, most severe and oldest first."""
    now = services.clock()
    found = sorted_active(await services.store.active_incidents(), flt)
    chosen = found[page.offset : page.offset + page.limit]
    return {
        "errors": await incidents_with_actions(services, chosen, now),
        "total": len(found),
        "limit": page.limit,
        "offset": page.offset,
    }


# ---- chargers -------------------------------------------------------------------------


def _connectors_of(
    charger_id: str, rows: Sequence[ConnectorRow], errors: Sequence[Json]
) -> list[Json]:
    """Every connector with a status or an error; connector 0 stands for the whole charger."""
    by_id = {r.connector_id: r for r in rows}
    grouped: dict[int, list[Json]] = defaultdict(list)
    for error in errors:
        grouped[error["connector_id"]].append(error)
    ids = sorted(set(by_id) | set(grouped))
    return [shapes.connector(charger_id, n, by_id.get(n), grouped.get(n, [])) for n in ids]


def _group(items: Iterable[Any], key: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        grouped[getattr(item, key)].append(item)
    return grouped


class Fleet:
    """Every charger's row with its active errors; shaped as JSON only for the rows shown.

    At 10,000 chargers, shaping every charger (connectors, times, links) for a page that shows
    a hundred of them was most of the dashboard's server time.
    """

    def __init__(self, state: StoredState, errors: Sequence[Json]) -> None:
        self.connectors = _group(state.connectors, "charger_id")
        self.errors: dict[str, list[Json]] = defaultdict(list)
        for error in errors:
            self.errors[error["charger_id"]].append(error)
        self.rows = sorted(state.chargers, key=lambda r: r.charger_id)

    def problems_first(self) -> list[ChargerRow]:
        """Chargers with the worst errors first, then offline ones, then by id."""
        def key(row: ChargerRow) -> tuple[int, bool, str]:
            errors = self.errors.get(row.charger_id)
            rank = max(shapes.severity_rank(e["severity"]) for e in errors) + 1 if errors else 0
            return (-rank, row.online, row.charger_id)
        return sorted(self.rows, key=key)

    def shaped(self, rows: Iterable[ChargerRow]) -> list[Json]:
        return [shapes.charger(row, _connectors_of(row.charger_id,
                                                   self.connectors.get(row.charger_id, []),
                                                   self.errors.get(row.charger_id, [])))
                for row in rows]

    def shaped_offline(self) -> list[Json]:
        """What an offline notice needs of each offline charger (no connectors)."""
        return [{"id": row.charger_id, "url": shapes.charger_url(row.charger_id),
                 "offline_since": shapes.iso(row.offline_since),
                 "last_seen": shapes.iso(row.last_seen)}
                for row in self.rows if not row.online]

    def summary(self, errors: Sequence[Json]) -> Json:
        by_severity = {str(level): 0 for level in Severity}
        for error in errors:
            by_severity[error["severity"]] = by_severity.get(error["severity"], 0) + 1
        online = sum(1 for row in self.rows if row.online)
        return {
            "chargers": len(self.rows),
            "online": online,
            "offline": len(self.rows) - online,
            "chargers_with_errors": sum(1 for row in self.rows if self.errors.get(row.charger_id)),
            "active_errors": len(errors),
            "by_severity": by_severity,
        }


async def _snapshot(services: Services) -> tuple[StoredState, list[Incident]]:
    """Chargers, connectors and active incidents read together, in one consistent snapshot."""
    state = await services.store.load_state()
    return state, sorted(state.incidents, key=shapes.incident_sort_key)


async def chargers(services: Services, page: Page) -> Json:
    now = services.clock()
    state, active = await _snapshot(services)
    errors = await incidents_with_actions(services, active, now)
    fleet = Fleet(state, errors)
    return {
        "chargers": fleet.shaped(fleet.rows[page.offset : page.offset + page.limit]),
        "total": len(fleet.rows),
        "limit": page.limit,
        "offset": page.offset,
    }


# ---- the dashboard --------------------------------------------------------------------


def offline_template(catalog: Catalog, lang: str) -> Json:
    """What the catalog's platform entry says about an offline charger (the page's live copy)."""
    entry = catalog.get(PLATFORM_SCHEME, OFFLINE_CODE)
    text = entry.text(lang) if entry else None
    return {
        "scheme": PLATFORM_SCHEME,
        "code": OFFLINE_CODE,
        "ref": f"{PLATFORM_SCHEME}:{OFFLINE_CODE}",
        "title": text.title if text else "Charging station offline",
        "severity": str(entry.severity) if entry else "warning",
        "summary": text.summary if text else None,
        "operator_steps": list(text.operator_steps) if text else [],
        "help_url": shapes.help_url(PLATFORM_SCHEME, OFFLINE_CODE) if entry else None,
    }


def offline_notice(charger: Json, template: Json) -> Json:
    """A platform notification for a charger that stopped talking to evfault."""
    return {
        **template,
        "charger_id": charger["id"],
        "charger_url": charger["url"],
        "since": charger["offline_since"] or charger["last_seen"],
    }


def platform_notice(error: Json) -> Json:
    """A platform condition the tracker opened as an incident (a site meter gone quiet, …)."""
    explained = error["explanation"] or {}
    return {
        "scheme": error["scheme"],
        "code": error["code"],
        "ref": error["ref"],
        "title": error["title"],
        "severity": error["severity"],
        "summary": explained.get("summary"),
        "operator_steps": explained.get("operator_steps", []),
        "help_url": explained.get("help_url"),
        "charger_id": error["charger_id"],
        "charger_url": error["charger_url"],
        "since": error["opened_at"],
        "incident_id": error["id"],
    }


def is_platform(error: Json) -> bool:
    return bool(error["scheme"] == PLATFORM_SCHEME)


def _notices(
    fleet: Fleet, errors: Sequence[Json], flt: ErrorFilter, catalog: Catalog, lang: str
) -> list[Json]:
    """Offline chargers, plus conditions opened as platform incidents; the oldest first."""
    shown = [e for e in errors if is_platform(e) and charger_matches(e["charger_id"], flt.charger)]
    notices = [platform_notice(e) for e in shown]
    reported = {(n["code"], n["charger_id"]) for n in notices}
    template = offline_template(catalog, lang)
    notices += [
        offline_notice(c, template)
        for c in fleet.shaped_offline()
        if charger_matches(c["id"], flt.charger) and (OFFLINE_CODE, c["id"]) not in reported
    ]
    notices.sort(key=lambda n: (n["since"] or "", n["charger_id"]))
    return notices


# A network of 10,000 chargers must not make the dashboard a 12 MB page that takes seconds to
# build (measured with benchmarks/dashboard_load.py --chargers 10000): the charging points come
# a page at a time, problems first, and the error and notification lists stop at a limit with
# their totals shown (the filters narrow them down).
BOARD_ROWS = 100
BOARD_LIST_LIMIT = 200


async def dashboard(services: Services, flt: ErrorFilter, lang: str = "en",
                    points: int = 0) -> Json:
    """Everything the operator dashboard shows, in one shape for the page and its JSON twin.

    Platform conditions go to the notifications, charger errors to the Error Notifications.
    `points`: where the page of charging points starts (problems first, then by id).
    """
    now = services.clock()
    state, active = await _snapshot(services)
    everything = await incidents_with_actions(services, active, now)
    fleet = Fleet(state, everything)
    errors = [e for e in everything if not is_platform(e)]
    shown_errors = [e for i, e in zip(active, everything, strict=True)
                    if matches(i, flt) and not is_platform(e)]
    notices = _notices(fleet, everything, flt, services.catalog, lang)
    chargers = [r for r in fleet.problems_first() if charger_matches(r.charger_id, flt.charger)]
    start = min(max(0, points), (max(0, len(chargers) - 1) // BOARD_ROWS) * BOARD_ROWS)
    return {
        "generated_at": shapes.iso(now),
        "filters": flt.as_dict(),
        "summary": fleet.summary(errors),
        "errors": shown_errors[:BOARD_LIST_LIMIT],
        "errors_total": len(shown_errors),
        "notifications": notices[:BOARD_LIST_LIMIT],
        "notifications_total": len(notices),
        "platform": {"offline": offline_template(services.catalog, lang)},
        "chargers": fleet.shaped(chargers[start:start + BOARD_ROWS]),
        "points": _pager(flt, start, len(chargers)),
    }


def _pager(flt: ErrorFilter, start: int, total: int) -> Json:
    """Where the page of charging points starts and ends, and the queries of its neighbours."""
    kept = {k: v for k, v in flt.as_dict().items() if v}

    def query(offset: int) -> str:
        return "?" + urlencode({**kept, "points": offset} if offset else kept)

    return {
        "offset": start, "limit": BOARD_ROWS, "total": total,
        "first": start + 1 if total else 0, "last": min(total, start + BOARD_ROWS),
        "previous": query(max(0, start - BOARD_ROWS)) if start else None,
        "next": query(start + BOARD_ROWS) if start + BOARD_ROWS < total else None,
    }


# ---- one charger ----------------------------------------------------------------------


def _entry(at: datetime | None, kind: str, title: str, **extra: Any) -> Json:
    entry: Json = {
        "at": at,
        "kind": kind,
        "title": title,
        "connector_id": None,
        "severity": None,
        "detail": None,
        "until": None,
        "incident_id": None,
    }
    entry.update(extra)
    return entry


def _incident_entries(inc: Incident) -> list[Json]:
    name = f"{inc.code} {inc.title}"
    common = {"connector_id": inc.connector_id, "severity": inc.severity, "incident_id": inc.id}
    entries = [_entry(inc.opened_at, "error-opened", name, detail=inc.info, **common)]
    if inc.cleared_at is not None:
        by = f"cleared by {inc.cleared_by}" if inc.cleared_by else "cleared"
        entries.append(_entry(inc.cleared_at, "error-cleared", name, detail=by, **common))
    return entries


def _status_entry(change: StatusChange) -> Json:
    before = f"{change.previous} → " if change.previous else ""
    return _entry(
        change.at, "status", f"{before}{change.status}", connector_id=change.connector_id
    )


def _connectivity_entries(changes: Sequence[ConnectivityChange]) -> list[Json]:
    """Offline periods (with their end, once known) and the moments the charger came back."""
    ordered = sorted(changes, key=lambda c: shapes.aware(c.at))
    entries: list[Json] = []
    for n, change in enumerate(ordered):
        if change.online:
            # Back online only after an offline period; before one, it is a (first) connection.
            back = n > 0 and not ordered[n - 1].online
            title = "Back online" if back else "Connected"
            entries.append(_entry(change.at, "online" if back else "connected", title,
                                  detail=change.reason))
            continue
        end = next((c.at for c in ordered[n + 1 :] if c.online), None)
        entries.append(_entry(change.at, "offline", "Offline", detail=change.reason, until=end))
    return entries


def timeline(
    incidents: Sequence[Incident],
    status_changes: Sequence[StatusChange],
    connectivity: Sequence[ConnectivityChange],
) -> list[Json]:
    """Incidents, status changes and offline periods merged, newest first."""
    entries = [e for i in incidents for e in _incident_entries(i)]
    entries += [_status_entry(s) for s in status_changes]
    entries += _connectivity_entries(connectivity)
    entries.sort(key=lambda e: shapes.aware(e["at"]), reverse=True)
    for entry in entries:
        entry["at"] = shapes.iso(entry["at"])
        entry["until"] = shapes.iso(entry["until"])
    return entries[:TIMELINE_LENGTH]


async def _charger_row(services: Services, charger_id: str) -> ChargerRow:
    row = await services.store.charger(charger_id)
    if row is None:  # typed in another case (demo-001): the one charger it names
        folded = charger_id.casefold()
        row = next((r for r in await services.store.chargers()
                    if r.charger_id.casefold() == folded), None)
    if row is None:
        raise NotFound(f"No charger with id {charger_id!r} has ever connected to evfault.")
    return row


async def charger_detail(services: Services, charger_id: str) -> Json:
    """One charger: connectors, active errors, recent incidents, timeline and raw messages."""
    store, now = services.store, services.clock()
    row = await _charger_row(services, charger_id)
    charger_id = row.charger_id
    active = sorted(await store.active_incidents(charger_id), key=shapes.incident_sort_key)
    errors = await incidents_with_actions(services, active, now)
    recent = await store.incidents(IncidentQuery(charger_id=charger_id, limit=RECENT_INCIDENTS))
    recent.sort(key=lambda i: shapes.aware(i.opened_at), reverse=True)
    statuses = await store.status_changes(charger_id)
    links = await store.connectivity(charger_id)
    messages = await store.messages(charger_id, limit=RECENT_MESSAGES)
    connectors = _connectors_of(charger_id, await store.connectors(charger_id), errors)
    view = shapes.charger(row, connectors)
    view.update(
        generated_at=shapes.iso(now),
        active_errors=errors,
        recent_incidents=await incidents_with_actions(services, recent, now),
        status_changes=[shapes.status_change(s) for s in statuses],
        connectivity=[shapes.connectivity(c) for c in links],
        timeline=timeline(recent, statuses, links),
        messages=[shapes.message(m) for m in messages],
    )
    return view


# ---- error history --------------------------------------------------------------------


async def canonical_query(services: Services, query: IncidentQuery) -> IncidentQuery:
    """The query with charger id and code spelled as stored (people type demo-001, f001)."""
    charger_id, code = query.charger_id, query.code
    if charger_id and await services.store.charger(charger_id) is None:
        folded = charger_id.casefold()
        known = [r.charger_id for r in await services.store.chargers()]
        charger_id = next((k for k in known if k.casefold() == folded), charger_id)
    if code:
        named = services.catalog.resolve(code, query.scheme)
        spellings = {e.code for e in named}
        code = spellings.pop() if len(spellings) == 1 else code
    return replace(query, charger_id=charger_id, code=code)


async def error_history(services: Services, query: IncidentQuery) -> Json:
    """Incidents, active and cleared, newest first, with the total for paging."""
    query = await canonical_query(services, query)
    found = await services.store.incidents(query)
    total = await services.store.count_incidents(query)
    now = services.clock()
    return {
        "errors": await incidents_with_actions(services, found, now),
        "total": total,
        "limit": query.limit,
        "offset": query.offset,
    }
