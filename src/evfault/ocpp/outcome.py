"""What a handler returns: the answer for the charger and the facts for the tracker and store.

Handlers are pure functions `(HandlerContext, payload) -> Outcome`; the session turns an Outcome
into tracker events, one store write and one CALLRESULT. No business rule lives in a handler.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evfault.auth.tags import TagBook
from evfault.ocpp.admission import Registration
from evfault.store.model import ChargerUpdate, StatusEventRow
from evfault.tracking.model import Booted, Event

ACCEPT_ALL = TagBook()


@dataclass(frozen=True, slots=True)
class HandlerContext:
    charger_id: str
    received_at: datetime
    heartbeat_interval: int
    next_transaction_id: Callable[[], int]
    registration: Registration = Registration.ACCEPTED  # the charger's standing in the registry
    busy_retry: int | None = None  # server too busy: boots are told to come back in this many s
    tags: TagBook = ACCEPT_ALL  # the idTag allow-list (log analysis: every tag is accepted)
    charger_vendor: str | None = None  # chargePointVendor from its last boot: picks vendor packs

    def tag_info(self, id_tag: object, version: str) -> dict[str, Any]:
        """idTagInfo (1.6) or idTokenInfo (2.0.1) for a tag a charger presented."""
        tag = id_tag if isinstance(id_tag, str) else ""
        return self.tags.decide(tag, self.received_at).info(version)


# How soon a Pending charger is asked to boot again: an operator's approval should not wait
# for a whole heartbeat interval to reach it.
PENDING_BOOT_INTERVAL = 60


@dataclass(slots=True)
class Outcome:
    response: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    charger: ChargerUpdate | None = None
    status_events: list[StatusEventRow] = field(default_factory=list)


Handler = Callable[[HandlerContext, dict[str, Any]], Outcome]


def boot_outcome(ctx: HandlerContext, version: str, vendor: str | None, model: str | None,
                 serial: str | None, firmware: str | None) -> Outcome:
    """Accept the boot of a charger in good standing, Pending one that waits for approval, and
    record who booted either way (the operator sees what is asking to be approved)."""
    charger = ChargerUpdate(ctx.charger_id, last_seen=ctx.received_at, vendor=vendor,
                            model=model, serial=serial, firmware=firmware, protocol=version,
                            booted_at=ctx.received_at)
    pending = ctx.registration is Registration.PENDING
    interval = min(ctx.heartbeat_interval, PENDING_BOOT_INTERVAL) if pending \
        else ctx.heartbeat_interval
    if ctx.busy_retry is not None:  # a reconnect storm: come back later, spread out
        pending, interval = True, ctx.busy_retry
    response = {"status": "Pending" if pending else "Accepted",
                "currentTime": iso(ctx.received_at), "interval": interval}
    return Outcome(response, [Booted(ctx.charger_id, ctx.received_at)], charger)


def transaction_ids(start: int | None = None) -> Callable[[], int]:
    """Transaction ids for StartTransaction answers.

    OCPP 1.6 wants an integer; several evfault nodes may hand them out at once, so each node
    starts from its own clock-derived offset (milliseconds since 2024 modulo 2^31) and counts up.
    """
    first = start if start is not None else int((time.time() - 1_704_067_200) * 1000) % 2**31
    counter: Iterator[int] = itertools.count(first)
    return lambda: next(counter) % 2**31 or 1


def iso(moment: datetime) -> str:
    """An OCPP dateTime: ISO 8601 in UTC with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
