"""Registry entries, users, tokens, refusals and audit entries as frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from evfault.ocpp.admission import Registration

PROFILES = (0, 1, 2, 3)


class UnknownChargers(StrEnum):
    """What the gate does with a charger id the registry does not know."""

    ACCEPT = "accept"
    PENDING = "pending"
    REJECT = "reject"

    @staticmethod
    def parse(value: str) -> UnknownChargers:
        try:
            return UnknownChargers(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown_chargers must be accept, pending or reject, "
                             f"not {value!r}.") from None


class Role(StrEnum):
    """What a person may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"  # the dashboard, without raw frames or idTags
    OPERATOR = "operator"  # also raw frames, approvals and actions on chargers
    ADMIN = "admin"  # also users and registry changes

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank

    @staticmethod
    def parse(value: str) -> Role:
        try:
            return Role(value.strip().lower())
        except ValueError:
            raise ValueError(
                f"The role must be viewer, operator or admin, not {value!r}.") from None


@dataclass(frozen=True, slots=True)
class ChargerEntry:
    """One charger in the registry."""

    charger_id: str
    state: Registration
    profile: int = 0
    password_hash: str | None = None
    certificate_identity: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    last_address: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def has_credentials(self) -> bool:
        """Whether a connection must prove it is this charger (profile 1-3)."""
        return self.profile > 0


@dataclass(frozen=True, slots=True)
class Refusal:
    """Refused connections with the same id, address and reason, counted together."""

    charger_id: str
    address: str
    reason: str  # a RefusalReason value (kept as text: a newer node may know more reasons)
    first_at: datetime
    last_at: datetime
    count: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.charger_id, self.address, self.reason)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    password_hash: str
    session_epoch: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user_id: int
    user_name: str
    label: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    detail: str | None = None
    id: int | None = None
