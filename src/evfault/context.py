"""The seams of a running server, built once by the app setup and handed to every part.

Web routes reach it as `request.app.state.services`; the OCPP layer receives it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from evfault.bus import InProcessBus
from evfault.catalog.catalog import Catalog
from evfault.net.gate import OpenGate
from evfault.ocpp.admission import Gate
from evfault.settings import Settings
from evfault.store.model import Store

if TYPE_CHECKING:
    from evfault.commands.commander import Commander


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: Store
    bus: InProcessBus
    catalog: Catalog
    clock: Callable[[], datetime] = utc_now
    started_at: datetime = field(default_factory=utc_now)
    # Who may connect as a charger; the server wires the real one (the registry's, once it
    # exists). The web layer reads its refusals through here.
    gate: Gate = field(default_factory=OpenGate)
    # Sends commands to chargers (see evfault.commands); the server sets it once it runs.
    commander: Commander | None = None
