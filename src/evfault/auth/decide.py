"""Who may connect: the gate's rules as pure functions of a registry entry and a handshake.

OCPP 1.6 security white paper (2.0.1 the same): profile 1 is HTTP Basic with the charge point
id as user name; profile 2 the same inside TLS; profile 3 a TLS client certificate whose
identity is bound to the charger. "Profile 0" (nothing) is what most chargers run today.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from evfault.auth.model import ChargerEntry, UnknownChargers
from evfault.ocpp.admission import Admission, Handshake, RefusalReason, Registration


class Verdict(StrEnum):
    """What the credentials of a handshake prove, before the charger's standing counts."""

    NONE_NEEDED = "none-needed"  # profile 0: nothing to prove
    PROVEN = "proven"
    MISSING = "missing"
    WRONG = "wrong"
    INSECURE = "insecure"  # profile 2/3 asked for, plain ws:// used


def check_credentials(entry: ChargerEntry, handshake: Handshake,
                      password_ok: Callable[[ChargerEntry, str], bool]) -> Verdict:
    """Whether the handshake proves it is the charger `entry` describes."""
    if entry.profile == 0:
        return Verdict.NONE_NEEDED
    if entry.profile >= 2 and not handshake.tls:
        return Verdict.INSECURE
    if entry.profile == 3:
        if handshake.client_certificate is None:
            return Verdict.MISSING
        same = handshake.client_certificate == entry.certificate_identity
        return Verdict.PROVEN if same else Verdict.WRONG
    if handshake.basic_password is None or entry.password_hash is None:
        return Verdict.MISSING
    if handshake.basic_user != entry.charger_id:
        return Verdict.WRONG  # the user name must be the charge point id itself
    return Verdict.PROVEN if password_ok(entry, handshake.basic_password) else Verdict.WRONG


def refusal_for(verdict: Verdict, entry: ChargerEntry) -> Admission:
    """The HTTP answer to credentials that prove nothing (401 asks for Basic credentials)."""
    if verdict is Verdict.INSECURE:
        return Admission.refuse(403, RefusalReason.INSECURE,
                                f"security profile {entry.profile} needs wss:// (TLS)")
    if entry.profile == 3:
        return Admission.refuse(403, RefusalReason.BAD_CERTIFICATE,
                                "no client certificate bound to this charger id")
    if verdict is Verdict.MISSING:
        return Admission.refuse(401, RefusalReason.MISSING_PASSWORD,
                                "this charger must send its Basic authentication password")
    return Admission.refuse(401, RefusalReason.BAD_PASSWORD,
                            "wrong user name or password for this charger id")


def admit_known(entry: ChargerEntry, handshake: Handshake,
                password_ok: Callable[[ChargerEntry, str], bool]) -> Admission:
    """A registered charger: its credentials first, then its standing."""
    verdict = check_credentials(entry, handshake, password_ok)
    if verdict not in (Verdict.NONE_NEEDED, Verdict.PROVEN):
        return refusal_for(verdict, entry)
    if entry.state is Registration.REJECTED:
        return Admission.refuse(403, RefusalReason.REJECTED,
                                "this charger id was rejected by an operator")
    return Admission.allow(entry.state)


def admit_unknown(policy: UnknownChargers) -> Admission:
    """A charger id nobody registered, by the server's `unknown_chargers` setting."""
    if policy is UnknownChargers.REJECT:
        return Admission.refuse(403, RefusalReason.UNKNOWN_ID,
                                "this charger id is not registered with evfault")
    if policy is UnknownChargers.PENDING:
        return Admission.allow(Registration.PENDING)
    return Admission.allow(Registration.ACCEPTED)


def may_replace(authenticated: bool, address: str, holder_address: str | None) -> bool:
    """Whether a new connection may take over the live connection of the same charger id.

    A newcomer that proved it is the charger always may. One that proved nothing (a profile 0
    charger) may only from the address the live connection came from: that is the charger
    itself reconnecting over a connection evfault still thinks alive, while the same id from
    elsewhere is somebody else and must not cut the real charger off.
    """
    return authenticated or holder_address is None or holder_address == address
