"""People for tests against a real server: users made through the same calls the CLI makes."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from evfault.auth.model import Role, User


async def user(server: Any, role: str = "operator") -> User:
    created = await server.trust.admin.add_user("test", f"{role}-{secrets.token_hex(3)}",
                                                Role.parse(role), "correct horse battery")
    assert created.user is not None
    return created.user  # type: ignore[no-any-return]


async def login_link(server: Any, path: str = "/", role: str = "operator") -> str:
    """A one-time link that logs a new user with `role` in and opens `path` (as `demo` prints)."""
    made = await user(server, role)
    token = server.trust.accounts.issue_link(made.id)
    return f"{server.address.http}/login/link?{urlencode({'token': token, 'next': path})}"


async def api_token(server: Any, role: str = "operator") -> str:
    made = await user(server, role)
    created = await server.trust.admin.add_token("test", made.name, "tests")
    return created.secret  # type: ignore[no-any-return]
