"""Password and token hashing: argon2 for what people choose, SHA-256 for long random tokens.

A person's password is guessable, so it is stored as an argon2id hash that is slow to test.
An API token or a one-time link is 32 random bytes: nobody can guess it, so a fast hash is
enough and lets a request be checked without spending 50 ms of CPU.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "evf_"
MIN_PASSWORD = 8
# OCPP 1.6 security white paper: a charger's AuthorizationKey is 16 to 40 characters.
CHARGER_PASSWORD_LENGTH = (16, 40)


@cache
def hasher() -> PasswordHasher:
    """argon2id with OWASP's recommended setting (19 MiB, 2 passes, 1 lane).

    argon2-cffi's own default (64 MiB, 3 passes, 4 lanes) took 0.7 s of a busy 2-core
    machine per hash; after a restart every charger's password is verified once, so the cost
    is paid fleet-wide in a reconnect storm, and every login pays it too.
    """
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches; a damaged hash is a mismatch, never an exception.

    The hash names its own parameters, so either hasher verifies any argon2 hash."""
    try:
        return hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password(nbytes: int = 18) -> str:
    """A random password of URL-safe characters (24 for the default 18 bytes)."""
    return secrets.token_urlsafe(nbytes)


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_problem(password: str, *, charger: bool = False) -> str | None:
    """Why a password cannot be used, as one sentence, or None when it can."""
    if charger:
        low, high = CHARGER_PASSWORD_LENGTH
        if not low <= len(password) <= high:
            return (f"A charger's password must be {low} to {high} characters long "
                    f"(OCPP's AuthorizationKey); this one has {len(password)}.")
        return None
    if len(password) < MIN_PASSWORD:
        return f"A password must be at least {MIN_PASSWORD} characters long."
    return None


class VerifiedCache:
    """Remembers which presented passwords were verified, without keeping them.

    Keyed by charger, it holds an HMAC of the password under a key that lives only in this
    process: a reconnect storm of thousands of chargers costs one argon2 run per charger and
    password, not one per reconnect, and a memory dump reveals no password.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)
        self._verified: dict[str, tuple[str, bytes]] = {}  # id -> (stored hash, mac)

    def _mac(self, charger_id: str, password: str) -> bytes:
        message = f"{charger_id}\0{password}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def known(self, charger_id: str, stored_hash: str, password: str) -> bool:
        """Whether this password was verified against this very hash before."""
        found = self._verified.get(charger_id)
        if found is None or found[0] != stored_hash:
            return False
        return hmac.compare_digest(found[1], self._mac(charger_id, password))

    def remember(self, charger_id: str, stored_hash: str, password: str) -> None:
        self._verified[charger_id] = (stored_hash, self._mac(charger_id, password))

    def forget(self, charger_id: str) -> None:
        self._verified.pop(charger_id, None)
