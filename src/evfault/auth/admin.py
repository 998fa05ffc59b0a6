"""Changes people make to the registry and the user accounts, each written with its audit entry.

The CLI (no server needed), the REST API and the dashboard all call these, so an approval is
the same act, with the same audit line, wherever it is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection

from evfault.auth.model import PROFILES, ApiToken, AuditEntry, ChargerEntry, Role, User
from evfault.auth.passwords import (
    generate_password,
    generate_token,
    hash_password,
    password_problem,
    token_hash,
)
from evfault.errors import UserError
from evfault.ocpp.admission import Registration
from evfault.ocpp.endpoint import charger_id_problem
from evfault.store import accounts, registry
from evfault.store.trust_store import TrustStore

MAX_CHARGER_ID = 48
CHARGER_PASSWORD_BYTES = 24  # 32 characters, inside OCPP's 16-40


class NotFound(UserError):
    """The named charger, user or token does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=1)


@dataclass(frozen=True, slots=True)
class Created:
    """Something made with a secret that is shown once and never stored (only its hash)."""

    secret: str | None
    entry: ChargerEntry | None = None
    user: User | None = None
    token: ApiToken | None = None


def audited(entry: AuditEntry, change: Callable[..., Any], *args: Any) -> Callable[..., Any]:
    """`change` and its audit line in one transaction: no change without its record."""

    def run(connection: Connection) -> Any:
        result = change(connection, *args)
        if result not in (None, False):
            accounts.audit(connection, entry)
        return result

    return run


class Admin:
    """Registry and account changes by `actor` (a user name, or cli:<os user>)."""

    def __init__(self, store: TrustStore, clock: Callable[[], datetime],
                 on_charger: Callable[[ChargerEntry], None] | None = None,
                 on_accounts: Callable[[], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.on_charger = on_charger or (lambda _: None)
        self.on_accounts = on_accounts or (lambda: None)  # users or tokens changed here

    async def _change(self, actor: str, action: str, target: str, detail: str | None,
                      change: Callable[..., Any], *args: Any) -> Any:
        entry = AuditEntry(self.clock(), actor, action, target, detail)
        result = await self.store.write(audited(entry, change, *args))
        if action.startswith(("user.", "token.")):
            self.on_accounts()
        return result

    # ---- chargers --------------------------------------------------------------------------

    async def add_charger(self, actor: str, charger_id: str, *, profile: int = 1,
                          password: str | None = None, generate: bool = False,
                          certificate_identity: str | None = None,
                          state: Registration = Registration.ACCEPTED) -> Created:
        problem = charger_id_problem(charger_id, MAX_CHARGER_ID)
        if problem:
            raise UserError(f"Cannot add {charger_id!r}: {problem}.")
        secret = self._charger_secret(profile, password, generate, certificate_identity)
        at = self.clock()
        entry = ChargerEntry(charger_id, state, profile,
                             hash_password(secret) if secret else None,
                             certificate_identity, created_at=at)
        detail = f"profile {profile}, {state.value}"
        added = await self._change(actor, "charger.add", charger_id, detail,
                                   registry.insert_charger, entry, at)
        if not added:
            raise UserError(f"{charger_id} is in the registry already; use set-password, "
                            "approve or reject to change it.")
        stored = await self.charger(charger_id)
        self.on_charger(stored)
        return Created(secret if generate else None, entry=stored)

    def _charger_secret(self, profile: int, password: str | None, generate: bool,
                        identity: str | None) -> str | None:
        if profile not in PROFILES:
            raise UserError(f"The security profile must be 0, 1, 2 or 3, not {profile}.")
        if profile == 3:
            if not identity:
                raise UserError("Profile 3 needs the client certificate's identity "
                                "(--certificate-identity).")
            return None
        if profile == 0:
            if password or generate:
                raise UserError("Profile 0 chargers send no password; choose profile 1 or 2.")
            return None
        if generate:
            return generate_password(CHARGER_PASSWORD_BYTES)
        if not password:
            raise UserError(f"Profile {profile} needs a password: --password-stdin or "
                            "--generate-password.")
        problem = password_problem(password, charger=True)
        if problem:
            raise UserError(problem)
        return password

    async def charger(self, charger_id: str) -> ChargerEntry:
        found = await self.store.read(registry.chargers, None, charger_id)
        if not found:
            raise NotFound(f"{charger_id} is not in the charger registry.")
        entry: ChargerEntry = found[0]
        return entry

    async def chargers(self) -> list[ChargerEntry]:
        found: list[ChargerEntry] = await self.store.read(registry.chargers)
        return found

    async def set_state(self, actor: str, charger_id: str, state: Registration) -> ChargerEntry:
        action = {Registration.ACCEPTED: "charger.approve",
                  Registration.REJECTED: "charger.reject"}.get(state, "charger.pending")
        change = partial(registry.change_charger, state=state.value)
        changed = await self._change(actor, action, charger_id, None, change, charger_id,
                                     self.clock())
        if changed is None:
            raise NotFound(f"{charger_id} is not in the charger registry.")
        self.on_charger(changed)
        return changed  # type: ignore[no-any-return]

    async def set_charger_password(self, actor: str, charger_id: str, *,
                                   password: str | None = None, generate: bool = False,
                                   profile: int | None = None) -> Created:
        current = await self.charger(charger_id)
        chosen = profile if profile is not None else max(1, current.profile)
        if chosen not in (1, 2):
            raise UserError("Passwords are for security profiles 1 and 2.")
        secret = self._charger_secret(chosen, password, generate, None)
        assert secret is not None
        change = partial(registry.change_charger, profile=chosen,
                         password_hash=hash_password(secret))
        changed = await self._change(actor, "charger.set-password", charger_id,
                                     f"profile {chosen}", change, charger_id, self.clock())
        self.on_charger(changed)
        return Created(secret if generate else None, entry=changed)

    # ---- users -----------------------------------------------------------------------------

    async def add_user(self, actor: str, name: str, role: Role,
                       password: str | None = None) -> Created:
        name = name.strip()
        if not name or len(name) > 64 or any(ch.isspace() for ch in name):
            raise UserError("A user name is 1 to 64 characters without spaces.")
        secret = password or generate_password()
        problem = password_problem(secret)
        if problem:
            raise UserError(problem)
        hashed = await asyncio.to_thread(hash_password, secret)
        user = await self._change(actor, "user.add", name, f"role {role.value}",
                                  accounts.add_user, name, role, hashed, self.clock())
        if user is None:
            raise UserError(f"There is a user called {name} already.")
        return Created(None if password else secret, user=user)

    async def users(self) -> list[User]:
        found: list[User] = await self.store.read(accounts.users)
        return found

    async def remove_user(self, actor: str, name: str) -> None:
        if not await self._change(actor, "user.remove", name, None, accounts.remove_user, name):
            raise NotFound(f"There is no user called {name}.")

    async def set_user_password(self, actor: str, name: str, password: str) -> None:
        problem = password_problem(password)
        if problem:
            raise UserError(problem)
        hashed = await asyncio.to_thread(hash_password, password)
        if await self._change(actor, "user.set-password", name, None, accounts.set_password,
                              name, hashed) is None:
            raise NotFound(f"There is no user called {name}.")

    async def add_token(self, actor: str, name: str, label: str) -> Created:
        user = await self.store.read(accounts.user_by_name, name)
        if user is None:
            raise NotFound(f"There is no user called {name}.")
        secret = generate_token()
        token_id = await self._change(actor, "token.add", name, label or None,
                                      accounts.add_token, user.id, label, token_hash(secret),
                                      self.clock())
        tokens = await self.store.read(accounts.tokens, name)
        token = next(t for t in tokens if t.id == token_id)
        return Created(secret, user=user, token=token)

    async def tokens(self, name: str | None = None) -> list[ApiToken]:
        found: list[ApiToken] = await self.store.read(accounts.tokens, name)
        return found

    async def revoke_token(self, actor: str, token_id: int) -> ApiToken:
        revoked = await self._change(actor, "token.revoke", str(token_id), None,
                                     accounts.revoke_token, token_id, self.clock())
        if revoked is None:
            raise NotFound(f"There is no live API token with id {token_id}.")
        return revoked  # type: ignore[no-any-return]

    async def audit_entries(self, limit: int = 100,
                            before_id: int | None = None) -> list[AuditEntry]:
        found: list[AuditEntry] = await self.store.read(accounts.audit_entries, limit, before_id)
        return found
