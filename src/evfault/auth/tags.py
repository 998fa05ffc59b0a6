"""RFID idTags: an allow-list with expiry and parent tags, and the answer a charger gets.

Pure. A `TagBook` holds the list and the policy for tags it does not hold; `decide(tag, now)`
says what the tag's holder may do, and `TagDecision.info(version)` spells it as OCPP 1.6
`idTagInfo` or 2.0.1 `idTokenInfo`. A tag inherits its parent's block and expiry (a fleet's
cards stop together when the fleet's card is blocked). Not a billing system: just not "every
card works".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

MAX_TAG = 36  # 2.0.1 IdToken; a 1.6 idTag is at most 20
MAX_PARENT_DEPTH = 8


class UnknownTags(StrEnum):
    """What a tag that is not on the list gets."""

    ACCEPT = "accept"
    REJECT = "reject"


class TagStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"  # not on the list (2.0.1 calls it Unknown)


@dataclass(frozen=True, slots=True)
class TagEntry:
    """One tag on the allow-list."""

    id_tag: str
    parent: str | None = None
    expires_at: datetime | None = None
    blocked: bool = False
    note: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TagDecision:
    status: TagStatus
    expires_at: datetime | None = None
    parent: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is TagStatus.ACCEPTED

    def info(self, version: str) -> dict[str, Any]:
        """1.6 idTagInfo or 2.0.1 idTokenInfo."""
        if version == "1.6":
            found: dict[str, Any] = {"status": self.status.value}
            if self.expires_at is not None:
                found["expiryDate"] = _iso(self.expires_at)
            if self.parent is not None:
                found["parentIdTag"] = self.parent[:20]
            return found
        status = "Unknown" if self.status is TagStatus.INVALID else self.status.value
        found = {"status": status}
        if self.expires_at is not None:
            found["cacheExpiryDateTime"] = _iso(self.expires_at)
        if self.parent is not None:
            found["groupIdToken"] = {"idToken": self.parent, "type": "Central"}
        return found


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def tag_problem(id_tag: str) -> str | None:
    """Why `id_tag` cannot be on the list, or None."""
    if not id_tag.strip():
        return "an idTag cannot be empty"
    if len(id_tag) > MAX_TAG:
        return f"an idTag has at most {MAX_TAG} characters"
    if any(ord(ch) < 32 for ch in id_tag):
        return "an idTag cannot hold control characters"
    return None


class TagBook:
    """The allow-list in memory, with the policy for tags not on it."""

    def __init__(self, unknown: UnknownTags = UnknownTags.ACCEPT,
                 entries: Iterable[TagEntry] = ()) -> None:
        self.unknown = unknown
        self._entries = {e.id_tag: e for e in entries}

    def replace_all(self, entries: Iterable[TagEntry]) -> None:
        self._entries = {e.id_tag: e for e in entries}

    def put(self, entry: TagEntry) -> None:
        self._entries[entry.id_tag] = entry

    def remove(self, id_tag: str) -> None:
        self._entries.pop(id_tag, None)

    def get(self, id_tag: str) -> TagEntry | None:
        return self._entries.get(id_tag)

    def __len__(self) -> int:
        return len(self._entries)

    def decide(self, id_tag: str, now: datetime) -> TagDecision:
        """What the holder of `id_tag` may do at `now`."""
        entry = self._entries.get(id_tag)
        if entry is None:
            accepted = self.unknown is UnknownTags.ACCEPT
            return TagDecision(TagStatus.ACCEPTED if accepted else TagStatus.INVALID)
        expires = entry.expires_at
        chain = entry
        for _ in range(MAX_PARENT_DEPTH):
            if chain.blocked:
                return TagDecision(TagStatus.BLOCKED, parent=entry.parent)
            if chain.expires_at is not None:
                if chain.expires_at <= now:
                    return TagDecision(TagStatus.EXPIRED, parent=entry.parent)
                expires = min(expires or chain.expires_at, chain.expires_at)
            parent = self._entries.get(chain.parent) if chain.parent else None
            if parent is None:
                break
            chain = parent
        return TagDecision(TagStatus.ACCEPTED, expires, entry.parent)
