"""Who may open an OCPP connection: the contract between the transport and the charger registry.

The transport (the WebSocket server) knows how a charger knocked: the id in the URL, the address,
the HTTP Basic credentials of the upgrade request (security profiles 1 and 2) and the identity of a
verified TLS client certificate (profile 3). The registry knows who the charger is. A `Gate` joins
the two: the transport builds a `Handshake`, asks `admit`, and either upgrades the connection or
answers the HTTP status of the `Admission` with its one-line reason. Refusals the transport decides
on its own (a malformed id, no common subprotocol, a foreign browser origin, a connection limit) are
reported through `refused`, so every refusal is counted in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Registration(StrEnum):
    """A charger's standing in the registry (also what its BootNotification is answered)."""

    ACCEPTED = "accepted"
    PENDING = "pending"  # listed for an operator's approval; BootNotification answered Pending
    REJECTED = "rejected"


class RefusalReason(StrEnum):
    """Why a connection was refused; stable words shown to operators and used in the API."""

    BAD_PASSWORD = "bad-password"
    MISSING_PASSWORD = "missing-password"
    BAD_CERTIFICATE = "bad-certificate"
    UNKNOWN_ID = "unknown-id"
    REJECTED = "rejected"
    BAD_ID = "bad-id"
    BAD_SUBPROTOCOL = "bad-subprotocol"
    BAD_ORIGIN = "bad-origin"
    INSECURE = "insecure"  # a profile 2/3 charger knocking without TLS
    LIMIT = "limit"  # a connection limit was reached
    IN_USE = "in-use"  # the id is connected from elsewhere and the newcomer proved nothing


@dataclass(frozen=True, slots=True)
class Handshake:
    """What the transport knows about a charger's upgrade request before it is answered."""

    charger_id: str  # URL-decoded
    address: str  # the peer's IP address
    tls: bool
    basic_user: str | None = None
    basic_password: str | None = None
    client_certificate: str | None = None  # identity of a verified client certificate


@dataclass(frozen=True, slots=True)
class Admission:
    """The gate's answer: let the charger in (with its registration) or refuse it."""

    admitted: bool
    registration: Registration = Registration.ACCEPTED
    status: int = 101  # the HTTP status of a refusal (401, 403, 503)
    reason: RefusalReason | None = None
    message: str = ""  # one line for the refused charger's installer

    @staticmethod
    def allow(registration: Registration = Registration.ACCEPTED) -> Admission:
        return Admission(True, registration)

    @staticmethod
    def refuse(status: int, reason: RefusalReason, message: str) -> Admission:
        return Admission(False, Registration.REJECTED, status, reason, message)


class Gate(Protocol):
    """Decides who may connect, and counts everyone who may not."""

    async def admit(self, handshake: Handshake) -> Admission: ...

    def refused(self, charger_id: str, address: str, reason: RefusalReason) -> None:
        """Count a refusal the transport decided on its own."""
