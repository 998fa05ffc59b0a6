"""A command and what became of it, as plain values (the API, pages, CLI and bus share them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class CommandStatus(StrEnum):
    """What became of a command, in one vocabulary for both OCPP versions."""

    PENDING = "pending"  # sent, no answer yet (only ever seen in the history)
    ACCEPTED = "accepted"  # the charger said it does it (Accepted, Unlocked, …)
    SCHEDULED = "scheduled"  # accepted, takes effect later (Scheduled, RebootRequired)
    REJECTED = "rejected"  # the charger refused (Rejected, UnknownConnector, …)
    FAILED = "failed"  # the charger tried and failed (UnlockFailed, …)
    NOT_SUPPORTED = "not-supported"  # the charger does not do this (NotSupported, …)
    ERROR = "error"  # the charger answered with a CALLERROR
    TIMEOUT = "timeout"  # no answer in time
    OFFLINE = "offline"  # no connection to the charger (nothing was sent)
    INVALID = "invalid"  # the command or its arguments are wrong (nothing was sent)

    @property
    def sent(self) -> bool:
        return self not in (CommandStatus.OFFLINE, CommandStatus.INVALID)


class CommandInvalid(ValueError):
    """A command that cannot be sent; the message is one sentence for the person who asked."""


@dataclass(frozen=True, slots=True)
class Request:
    """A command spelled for one OCPP version: the CALL's action and payload."""

    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """One command as recorded: who sent what, when, and the charger's answer (or why none)."""

    id: str
    charger_id: str
    command: str
    args: dict[str, Any]
    actor: str
    status: CommandStatus
    sent_at: datetime  # when it was asked for
    action: str | None = None  # the OCPP action it became (None when invalid)
    payload: dict[str, Any] | None = None  # the CALL's payload as sent
    answer: Any = None  # the CALLRESULT payload, or the CALLERROR's details
    error: str | None = None  # a sentence: the CALLERROR, the timeout, why it was invalid
    answered_at: datetime | None = None
    node: str | None = None  # the node that held the charger's connection

    @property
    def duration_ms(self) -> float | None:
        if self.answered_at is None:
            return None
        return round((self.answered_at - self.sent_at).total_seconds() * 1000, 1)
