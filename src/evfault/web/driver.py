"""The public charger page a driver opens from the QR code: /c/{charger_id}.

One view, built in the driver's language, serves the page, its JSON twin and its live stream.
It holds only what an operator would show a stranger standing at the charger: the connectors,
whether each can charge now, and each active error explained for a driver. Never raw frames,
card ids, readings, serial numbers, firmware or vendor ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import Severity
from evfault.context import Services
from evfault.store.model import ChargerRow, ConnectorRow
from evfault.tracking.model import Incident
from evfault.web import shapes
from evfault.web.i18n import Words, safety_line
from evfault.web.shapes import Json

# What a connector can do now, from its OCPP status (1.6 ChargePointStatus, 2.0.1 names too).
READY, IN_USE, RESERVED, FAULTED, UNAVAILABLE, OFFLINE, UNKNOWN = (
    "ready", "in_use", "reserved", "faulted", "unavailable", "offline", "unknown")
STATES: tuple[str, ...] = (READY, IN_USE, RESERVED, FAULTED, UNAVAILABLE, OFFLINE, UNKNOWN)
_BY_STATUS = {
    "available": READY,
    "preparing": READY,
    "charging": IN_USE,
    "suspendedev": IN_USE,
    "suspendedevse": IN_USE,
    "finishing": IN_USE,
    "occupied": IN_USE,
    "reserved": RESERVED,
    "faulted": FAULTED,
    "unavailable": UNAVAILABLE,
}


@dataclass(frozen=True, slots=True)
class PublicCharger:
    """What the page needs from the store, read once."""

    row: ChargerRow
    connectors: Sequence[ConnectorRow]
    active: Sequence[Incident]


def not_yet_connected(charger_id: str) -> ChargerRow:
    """A registered charger that has never connected (its sticker may be up before it is)."""
    return ChargerRow(charger_id, online=False, last_seen=None, vendor=None, model=None,
                      serial=None, firmware=None, protocol=None, booted_at=None,
                      offline_since=None)


async def read_charger(services: Services, charger_id: str,
                       registered: bool = False) -> PublicCharger | None:
    """The charger's row, connectors and active errors; None when no such charger ever came
    (unless it is `registered`: then it is a charger we cannot reach yet)."""
    store = services.store
    row = await store.charger(charger_id)
    if row is None:
        return PublicCharger(not_yet_connected(charger_id), (), ()) if registered else None
    connectors = await store.connectors(charger_id)
    active = await store.active_incidents(charger_id)
    return PublicCharger(row, connectors, active)


def blocks_charging(inc: Incident) -> bool:
    """A critical error stops charging whatever the status beside it (EVgo sends F001 with
    Finishing: the session it ended is over); a lesser one unless the charger says it charges
    on (reported outside Faulted)."""
    rank = shapes.severity_rank(inc.severity)
    return rank >= Severity.CRITICAL.rank or (
        not inc.warning_only and rank >= Severity.WARNING.rank)


def connector_state(status: str | None, online: bool, errors: Sequence[Incident]) -> str:
    """One of STATES: offline wins (we cannot know), then a blocking error, then the status."""
    if not online:
        return OFFLINE
    if any(blocks_charging(e) for e in errors):
        return FAULTED
    return _BY_STATUS.get((status or "").lower(), UNKNOWN)


def explained_error(inc: Incident, catalog: Catalog, lang: str, words: Words) -> Json:
    """An active error as a driver reads it: what it means and what to do right now."""
    entry = catalog.get(inc.scheme, inc.code)
    if entry is None:
        return {
            "code": inc.code,
            "known": False,
            "severity": inc.severity,
            "title": words("driver.unknown_title"),
            "summary": words("driver.unknown_summary"),
            "driver_now": [words("driver.unknown_step")],
            "help_url": None,
            "lang": words.lang,
        }
    text = entry.text(lang)
    return {
        "code": entry.code,
        "known": True,
        "severity": str(entry.severity),
        "title": text.title,
        "summary": text.summary,
        "driver_now": list(text.driver_now),
        "help_url": f"{shapes.help_url(entry.scheme, entry.code)}?lang={words.lang}",
        "lang": entry.text_lang(lang),
    }


def _connector(
    number: int, row: ConnectorRow | None, online: bool, errors: Sequence[Incident],
    catalog: Catalog, lang: str, words: Words,
) -> Json:
    state = connector_state(row.status if row else None, online, errors)
    return {
        "connector_id": number,
        "label": words("driver.connector", number=number),
        "state": state,
        "state_text": words(f"driver.state.{state}"),
        "state_hint": words(f"driver.hint.{state}"),
        "can_charge": state == READY,
        "errors": [explained_error(e, catalog, lang, words) for e in errors],
    }


def public_view(found: PublicCharger, catalog: Catalog, lang: str, words: Words,
                generated_at: str | None) -> Json:
    """The page's data. Connector 0's errors concern the whole charger and every connector."""
    errors: dict[int, list[Incident]] = defaultdict(list)
    for inc in sorted(found.active, key=shapes.incident_sort_key):
        errors[inc.connector_id].append(inc)
    whole = errors.pop(0, [])
    rows = {r.connector_id: r for r in found.connectors}
    station = rows.pop(0, None)  # connector 0: the whole charger's status, where one is all
    numbers = sorted(set(rows) | set(errors)) or [1]
    online = found.row.online
    connectors = [
        _connector(n, rows.get(n, station), online, [*whole, *errors.get(n, [])], catalog,
                   lang, words)
        for n in numbers
    ]
    for connector in connectors:  # the whole charger's errors are shown once, above
        connector["errors"] = connector["errors"][len(whole):]
    return {
        "charger_id": found.row.charger_id,
        "lang": lang,
        "online": online,
        "generated_at": generated_at,
        "can_charge": any(c["can_charge"] for c in connectors),
        "headline": _headline(connectors, online, words),
        "charger_errors": [explained_error(e, catalog, lang, words) for e in whole],
        "connectors": connectors,
        "safety": safety_line(words),
        "page_url": f"/c/{shapes.segment(found.row.charger_id)}",
    }


def _headline(connectors: Sequence[Json], online: bool, words: Words) -> str:
    if not online:
        return words("driver.headline.offline")
    ready = sum(1 for c in connectors if c["can_charge"])
    if ready == len(connectors):
        return words("driver.headline.all_ready")
    if ready:
        return words("driver.headline.some_ready", ready=ready, total=len(connectors))
    return words("driver.headline.none_ready")


async def charger_view(services: Services, charger_id: str, lang: str,
                       words: Words, registered: bool = False) -> Json | None:
    """The public view of one charger, or None when there is no such charger."""
    found = await read_charger(services, charger_id, registered)
    if found is None:
        return None
    return public_view(found, services.catalog, lang, words, shapes.iso(services.clock()))
