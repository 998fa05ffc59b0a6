"""Login sessions in signed cookies, and the CSRF token each session carries.

The cookie holds the user's id, their session epoch (bumped by a password change, which ends
every older session) and a random CSRF token, signed with the server's secret key by
itsdangerous. Nothing else is kept server-side: any node sharing the key reads it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "evfault_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class SessionData:
    user_id: int
    epoch: int
    csrf: str


class SessionSigner:
    """Signs and reads session cookies; a cookie older than `max_age_s` reads as None."""

    def __init__(self, secret_key: str, max_age_s: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="evfault-session")
        self.max_age_s = max_age_s

    def sign(self, user_id: int, epoch: int) -> tuple[str, SessionData]:
        data = SessionData(user_id, epoch, secrets.token_urlsafe(24))
        value = self._serializer.dumps([data.user_id, data.epoch, data.csrf])
        return value, data

    def read(self, cookie: str | None) -> SessionData | None:
        if not cookie:
            return None
        try:
            raw = self._serializer.loads(cookie, max_age=round(self.max_age_s))
        except BadSignature:  # also an expired one (SignatureExpired is a BadSignature)
            return None
        if not (isinstance(raw, list) and len(raw) == 3):
            return None
        user_id, epoch, csrf = raw
        if not (isinstance(user_id, int) and isinstance(epoch, int) and isinstance(csrf, str)):
            return None
        return SessionData(user_id, epoch, csrf)


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(expected, given)
