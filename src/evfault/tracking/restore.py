"""The shapes `Tracker.restore` reads: rows from the store, named only by what is used.

They are protocols, so the store's own `ConnectorRow` and `ChargerRow` fit as they are and the
pure tracker never imports the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from evfault.decode.model import FAULTED_NO_CODE
from evfault.tracking.model import Incident

# Conditions the platform opens and clears itself (a charger id two devices fight over, …):
# no report, NoError or reboot of the charger's may end them, so the tracker never holds them.
PLATFORM_SCHEME = "platform"


class ConnectorSnapshot(Protocol):
    """A connector's latest reported status."""

    @property
    def charger_id(self) -> str: ...

    @property
    def connector_id(self) -> int: ...

    @property
    def status(self) -> str | None: ...


class ChargerSnapshot(Protocol):
    """What the store knows of a charger's connectivity."""

    @property
    def charger_id(self) -> str: ...

    @property
    def online(self) -> bool: ...

    @property
    def last_seen(self) -> datetime | None: ...

    @property
    def booted_at(self) -> datetime | None: ...


def tracked(incident: Incident) -> bool:
    """Whether the tracker holds this incident: every code a charger reports, and of the
    platform's conditions only "Faulted, no code given", which follows the connector status."""
    return incident.scheme != PLATFORM_SCHEME or incident.code == FAULTED_NO_CODE


def first_of_each(incidents: Iterable[Incident]) -> list[Incident]:
    """The active incidents, one per (charger, connector, code): the earliest opened wins.

    The tracker never stores two, but a store written by hand or by an old version might; the
    earliest keeps the longest honest duration.
    """
    seen: set[tuple[str, int, str, str]] = set()
    kept = []
    charger_owned = (i for i in incidents if i.active and tracked(i))
    for incident in sorted(charger_owned, key=lambda i: i.opened_at):
        ident = (incident.charger_id, incident.connector_id, *incident.key)
        if ident not in seen:
            seen.add(ident)
            kept.append(incident)
    return kept
