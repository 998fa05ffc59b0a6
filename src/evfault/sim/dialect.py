"""What a virtual charger says, per OCPP version: v16.py and v201.py implement the same methods.

The charger decides *what happens* (a car arrives, a fault trips); the dialect turns each
happening into that version's messages and answers the central system's calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from evfault.sim.link import CallErrorReply, Reply
from evfault.sim.state import ActiveFault, Connector, Phase

if TYPE_CHECKING:
    from evfault.sim.charger import VirtualCharger

Answer = Callable[["VirtualCharger", dict[str, Any]], Reply]


def answer_with(answers: Mapping[str, Answer], ch: VirtualCharger, action: str,
                payload: dict[str, Any]) -> Reply:
    """Answer a central system's call from a version's table; unknown → NotImplemented."""
    handler = answers.get(action)
    if handler is None:
        return CallErrorReply("NotImplemented",
                              f"{action} is not implemented by this simulated charger")
    return handler(ch, payload)


def set_charging_profile(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    """Keep a profile in amperes; the charger's current follows the highest stack level."""
    from evfault.sites.profiles import limit_of

    version = "1.6" if "csChargingProfiles" in payload else "2.0.1"
    body = payload.get("csChargingProfiles") or payload.get("chargingProfile") or {}
    limit, level = limit_of(version, payload), body.get("stackLevel")
    if limit is None or not isinstance(level, int):
        return {"status": "Rejected"}
    ch.profile_limits[level] = limit
    return {"status": "Accepted"}


def remote_stop(ch: VirtualCharger, payload: dict[str, Any]) -> Reply:
    """Stop the session with the transactionId asked for (1.6 RemoteStop, 2.0.1 RequestStop)."""
    wanted = payload.get("transactionId")
    found = [c for c in ch.connectors[1:] if c.tx_id == wanted and c.phase in
             (Phase.CHARGING, Phase.SUSPENDED)]
    if not found:
        return {"status": "Rejected"}
    ch.later(lambda: ch.end_session(found[0], "Remote"))
    return {"status": "Accepted"}


class Dialect(Protocol):
    subprotocol: str

    async def boot(self, ch: VirtualCharger) -> tuple[bool, float]:
        """Send BootNotification: (accepted, interval the server gave)."""

    async def announce(self, ch: VirtualCharger, connector: Connector) -> None:
        """The connector's current status (and active faults), after boot or reconnect."""

    async def plug_in(self, ch: VirtualCharger, connector: Connector) -> None: ...

    async def start(self, ch: VirtualCharger, connector: Connector) -> None:
        """Authorise and start the transaction; the connector is charging."""

    async def meter(self, ch: VirtualCharger, connector: Connector) -> None: ...

    async def suspend(self, ch: VirtualCharger, connector: Connector) -> None: ...

    async def stop(self, ch: VirtualCharger, connector: Connector, reason: str) -> None:
        """End the transaction (1.6 StopTransaction reason values; mapped for 2.0.1)."""

    async def unplug(self, ch: VirtualCharger, connector: Connector) -> None: ...

    async def fault_raised(self, ch: VirtualCharger, connector: Connector,
                           fault: ActiveFault) -> None:
        """Report a new fault (raises MrecError before sending anything it may not send)."""

    async def fault_cleared(self, ch: VirtualCharger, connector: Connector,
                            fault: ActiveFault) -> None: ...

    def answer(self, ch: VirtualCharger, action: str, payload: dict[str, Any]) -> Reply:
        """The answer to a call from the central system (follow-ups go through ch.later)."""


def dialect_for(protocol: str) -> Dialect:
    from evfault.sim.v16 import V16Dialect
    from evfault.sim.v201 import V201Dialect

    return V16Dialect() if protocol == "1.6" else V201Dialect()
