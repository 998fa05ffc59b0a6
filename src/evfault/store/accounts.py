"""Users, API tokens, the audit log and server secrets, as blocking queries (run in a thread)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from evfault.auth.model import ApiToken, AuditEntry, Role, User
from evfault.store import schema
from evfault.store.registry import upsert

_u = schema.users
_t = schema.api_tokens
_a = schema.audit_log
_s = schema.server_secrets


# ---- users ----------------------------------------------------------------------------------


def _user(row: Row[Any]) -> User:
    return User(id=int(row.id), name=row.name, role=Role(row.role),
                password_hash=row.password_hash, session_epoch=int(row.session_epoch),
                created_at=row.created_at)


def users(connection: Connection) -> list[User]:
    return [_user(row) for row in connection.execute(select(_u).order_by(_u.c.name))]


def user_by_name(connection: Connection, name: str) -> User | None:
    row = connection.execute(select(_u).where(_u.c.name == name)).first()
    return _user(row) if row is not None else None


def user_by_id(connection: Connection, user_id: int) -> User | None:
    row = connection.execute(select(_u).where(_u.c.id == user_id)).first()
    return _user(row) if row is not None else None


def count_users(connection: Connection) -> int:
    return len(connection.execute(select(_u.c.id).limit(1)).all())


def add_user(connection: Connection, name: str, role: Role, password_hash: str,
             at: datetime) -> User | None:
    """A new user; None when the name is taken."""
    statement = upsert(connection, _u).values(
        name=name, role=role.value, password_hash=password_hash, session_epoch=0, created_at=at,
    ).on_conflict_do_nothing(index_elements=["name"]).returning(_u.c.id)
    # RETURNING, not rowcount: psycopg reports -1 rows for an insert that returns its key.
    if connection.execute(statement).first() is None:
        return None
    return user_by_name(connection, name)


def remove_user(connection: Connection, name: str) -> bool:
    found = user_by_name(connection, name)
    if found is None:
        return False
    # Tokens first: SQLite enforces the foreign key, but only where PRAGMA foreign_keys is on.
    connection.execute(delete(_t).where(_t.c.user_id == found.id))
    connection.execute(delete(_u).where(_u.c.id == found.id))
    return True


def set_password(connection: Connection, name: str, password_hash: str) -> User | None:
    """A new password; every session signed before it ends (the epoch moves on)."""
    statement = (update(_u).where(_u.c.name == name)
                 .values(password_hash=password_hash, session_epoch=_u.c.session_epoch + 1))
    if not connection.execute(statement).rowcount:
        return None
    return user_by_name(connection, name)


def rename_user(connection: Connection, user_id: int, name: str, password_hash: str) -> bool:
    """Rename and set the password (the first admin choosing their own); False if taken."""
    if connection.execute(select(_u.c.id).where(_u.c.name == name, _u.c.id != user_id)).first():
        return False
    connection.execute(update(_u).where(_u.c.id == user_id).values(
        name=name, password_hash=password_hash, session_epoch=_u.c.session_epoch + 1))
    return True


# ---- API tokens -----------------------------------------------------------------------------


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(id=int(row.id), user_id=int(row.user_id), user_name=row.name,
                    label=row.label, created_at=row.created_at, last_used_at=row.last_used_at,
                    revoked_at=row.revoked_at)


def _tokens_query() -> Any:
    return select(_t, _u.c.name).join(_u, _u.c.id == _t.c.user_id)


def add_token(connection: Connection, user_id: int, label: str, token_hash: str,
              at: datetime) -> int:
    result = connection.execute(insert(_t).values(
        user_id=user_id, label=label, token_hash=token_hash, created_at=at))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def tokens(connection: Connection, user_name: str | None = None) -> list[ApiToken]:
    statement = _tokens_query().order_by(_t.c.id)
    if user_name is not None:
        statement = statement.where(_u.c.name == user_name)
    return [_token(row) for row in connection.execute(statement)]


def token_owner(connection: Connection, token_hash: str) -> tuple[ApiToken, User] | None:
    """The live (not revoked) token with this hash and its user."""
    row = connection.execute(
        _tokens_query().where(_t.c.token_hash == token_hash, _t.c.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    token = _token(row)
    user = user_by_id(connection, token.user_id)
    return (token, user) if user is not None else None


def revoke_token(connection: Connection, token_id: int, at: datetime) -> ApiToken | None:
    statement = (update(_t).where(_t.c.id == token_id, _t.c.revoked_at.is_(None))
                 .values(revoked_at=at))
    if not connection.execute(statement).rowcount:
        return None
    row = connection.execute(_tokens_query().where(_t.c.id == token_id)).first()
    return _token(row) if row is not None else None


def touch_token(connection: Connection, token_id: int, at: datetime) -> None:
    connection.execute(update(_t).where(_t.c.id == token_id).values(last_used_at=at))


# ---- the audit log --------------------------------------------------------------------------


def audit(connection: Connection, entry: AuditEntry) -> None:
    connection.execute(insert(_a).values(at=entry.at, actor=entry.actor, action=entry.action,
                                         target=entry.target, detail=entry.detail))


def audit_entries(connection: Connection, limit: int,
                  before_id: int | None = None) -> list[AuditEntry]:
    """Newest first; `before_id` pages back."""
    statement = select(_a).order_by(_a.c.id.desc()).limit(limit)
    if before_id is not None:
        statement = statement.where(_a.c.id < before_id)
    return [AuditEntry(at=row.at, actor=row.actor, action=row.action, target=row.target,
                       detail=row.detail, id=int(row.id))
            for row in connection.execute(statement)]


# ---- secrets --------------------------------------------------------------------------------


def secret(connection: Connection, name: str, candidate: str) -> str:
    """The stored secret `name`; `candidate` becomes it when there is none yet.

    Insert-if-absent, then read: nodes starting together on one database agree on one value.
    """
    connection.execute(upsert(connection, _s).values(name=name, value=candidate)
                       .on_conflict_do_nothing(index_elements=["name"]))
    return str(connection.execute(select(_s.c.value).where(_s.c.name == name)).scalar_one())
