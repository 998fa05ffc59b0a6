"""Who is asking: logins, sessions, API tokens and one-time login links, for the web app.

Reads are cached for a few seconds (a dashboard polls; a program may call the API often), so
a removed user or a revoked token stops working within `CACHE_S` on every node.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from evfault.auth.counters import LoginLimiter
from evfault.auth.model import Role, User
from evfault.auth.passwords import hash_password, token_hash, verify_password
from evfault.auth.sessions import SessionData, SessionSigner
from evfault.store import accounts
from evfault.store.trust_store import TrustStore

log = logging.getLogger("evfault.auth")

CACHE_S = 5.0
TOKEN_TOUCH = timedelta(minutes=1)  # last_used_at is written at most this often per token
LINK_TTL = timedelta(hours=1)


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist: a wrong name then costs as much time as
    a wrong password, so the answer's timing does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Principal:
    """A person or program the request speaks for."""

    user: User
    via: str  # "session" or "token"
    csrf: str | None = None  # the session's CSRF token (None for a token)

    @property
    def role(self) -> Role:
        return self.user.role

    def may(self, needed: Role) -> bool:
        return self.user.role.allows(needed)


@dataclass(frozen=True, slots=True)
class LinkGrant:
    """What a one-time link grants: a login as `user_id`, or (None) making the first admin."""

    user_id: int | None
    expires: datetime


class Accounts:
    def __init__(self, store: TrustStore, clock: Callable[[], datetime],
                 session_hours: float) -> None:
        self.store = store
        self.clock = clock
        self.session_hours = session_hours
        self.limiter = LoginLimiter()
        self.signer: SessionSigner | None = None
        self.secret_key: str | None = None
        self._users: dict[int, tuple[User | None, float]] = {}
        self._tokens: dict[str, tuple[tuple[int, User] | None, float]] = {}
        self._touched: dict[int, datetime] = {}
        self._links: dict[str, LinkGrant] = {}

    async def start(self, secret_key: str) -> None:
        """Sign sessions with `secret_key`, or with the key kept in the database."""
        key = secret_key or await self.store.write(accounts.secret, "secret_key",
                                                   secrets.token_urlsafe(48))
        self.signer = SessionSigner(key, self.session_hours * 3600)
        self.secret_key = key  # also signs the public report forms and hashes their senders

    def _signer(self) -> SessionSigner:
        if self.signer is None:
            raise RuntimeError("Accounts.start() was not called.")
        return self.signer

    def _now_s(self) -> float:
        return self.clock().timestamp()

    # ---- logging in ------------------------------------------------------------------------

    async def has_users(self) -> bool:
        return bool(await self.store.read(accounts.count_users))

    async def login(self, name: str, password: str, address: str) -> User | timedelta | None:
        """The user, None for wrong credentials, or how long to wait when backing off."""
        now = self.clock()
        wait = self.limiter.wait(address, name, now)
        if wait > timedelta(0):
            return wait
        user = await self.store.read(accounts.user_by_name, name.strip())
        stored = user.password_hash if user else _dummy_hash()
        good = await asyncio.to_thread(verify_password, stored, password)
        if user is None or not good:
            self.limiter.failed(address, name, now)
            log.warning("failed login for %r from %s", name[:64], address)
            return None
        self.limiter.succeeded(address, name)
        return user

    def start_session(self, user: User) -> tuple[str, SessionData]:
        """The cookie value for a new session of `user`."""
        return self._signer().sign(user.id, user.session_epoch)

    async def from_session(self, cookie: str | None) -> Principal | None:
        data = self._signer().read(cookie)
        if data is None:
            return None
        user = await self._user(data.user_id)
        if user is None or user.session_epoch != data.epoch:
            return None
        return Principal(user, "session", data.csrf)

    async def from_token(self, token: str) -> Principal | None:
        key = token_hash(token)
        cached = self._tokens.get(key)
        if cached is None or self._now_s() - cached[1] > CACHE_S:
            found = await self.store.read(accounts.token_owner, key)
            owner = (found[0].id, found[1]) if found else None
            cached = (owner, self._now_s())
            self._tokens[key] = cached
            if len(self._tokens) > 10_000:  # guessed tokens must not grow the cache for ever
                self._tokens = {key: cached}
        if cached[0] is None:
            return None
        token_id, user = cached[0]
        await self._touch(token_id)
        return Principal(user, "token")

    async def _user(self, user_id: int) -> User | None:
        cached = self._users.get(user_id)
        if cached is None or self._now_s() - cached[1] > CACHE_S:
            cached = (await self.store.read(accounts.user_by_id, user_id), self._now_s())
            self._users[user_id] = cached
        return cached[0]

    async def _touch(self, token_id: int) -> None:
        now = self.clock()
        last = self._touched.get(token_id)
        if last is None or now - last >= TOKEN_TOUCH:
            self._touched[token_id] = now
            await self.store.write(accounts.touch_token, token_id, now)

    def forget(self) -> None:
        """Drop cached users and tokens (after a change made in this process)."""
        self._users.clear()
        self._tokens.clear()

    # ---- one-time links --------------------------------------------------------------------

    def issue_link(self, user_id: int | None, ttl: timedelta = LINK_TTL,
                   token: str | None = None) -> str:
        """A one-time link's token (`token` when given: the workers of one server share it)."""
        token = token or secrets.token_urlsafe(32)
        self._links[token_hash(token)] = LinkGrant(user_id, self.clock() + ttl)
        return token

    def peek_link(self, token: str) -> LinkGrant | None:
        grant = self._links.get(token_hash(token))
        if grant is None or grant.expires <= self.clock():
            return None
        return grant

    def redeem_link(self, token: str) -> LinkGrant | None:
        """The grant of a link that is still valid; it is valid no more afterwards."""
        grant = self.peek_link(token)
        self._links.pop(token_hash(token), None)
        return grant

    async def user(self, user_id: int) -> User | None:
        found: User | None = await self.store.read(accounts.user_by_id, user_id)
        return found
