"""What the decoders produce: faults, clears and conformance warnings, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from evfault.catalog.model import CatalogEntry, Severity

# evfault's own conditions (catalog/data/platform.yaml); one of them a decoder reports itself:
# a connector that is Faulted without any code saying why.
PLATFORM = "platform"
FAULTED_NO_CODE = "FaultedNoCode"


def faulted(status: str | None) -> bool:
    """Whether a connector status is Faulted (1.6 and 2.0.1 spell it alike; case is forgiven)."""
    return status is not None and status.lower() == "faulted"


class SetRule(StrEnum):
    """How one report relates to the errors already active on its connector.

    REPLACE: the report carries the connector's whole set of active errors; an active error
    missing from it has cleared (plain OCPP 1.6, EVgo compound codes).
    ACCUMULATE: the report adds errors; each one stays until it is cleared on its own
    (ChargeX / EVerest "Error CXnnn resolved", OCPP 2.0.1 NotifyEvent `cleared`).
    """

    REPLACE = "replace"
    ACCUMULATE = "accumulate"


@dataclass(frozen=True, slots=True)
class Reading:
    """A sensor reading carried in `info`, parsed as a number with its unit."""

    value: float
    unit: str
    raw: str


@dataclass(frozen=True, slots=True)
class Fault:
    """One code reported by a charger: a catalog entry, or an unknown code kept as it came."""

    scheme: str  # the scheme it was recognised in; "unknown" when no scheme knows it
    code: str  # the code in its canonical spelling (upper case for MREC)
    raw_code: str  # exactly as it arrived
    entry: CatalogEntry | None  # None: unknown code
    vendor_id: str | None = None
    error_code: str | None = None  # the OCPP 1.6 errorCode it travelled with
    reading: Reading | None = None
    info: str | None = None  # the raw info item paired with this code
    connector_id: int | None = None  # set on 2.0.1 events, which name their own EVSE
    # The scheme was told by the code's shape alone: no vendorId said whose code it is.
    guessed: bool = False

    @property
    def known(self) -> bool:
        return self.entry is not None

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the error on a connector, used by the tracker."""
        return (self.scheme, self.code)

    @property
    def title(self) -> str:
        return self.entry.title if self.entry else f"Unknown code {self.raw_code}"

    @property
    def severity(self) -> Severity:
        return self.entry.severity if self.entry else Severity.WARNING


@dataclass(frozen=True, slots=True)
class DecodeWarning:
    """Something off-spec in a message: it is reported, never raised."""

    rule: str  # a short stable id, e.g. "info-count-mismatch", "timestamp-format"
    message: str  # one sentence for a person


@dataclass(frozen=True, slots=True)
class Report:
    """What one message says about one connector (connectorId 0: the whole charger)."""

    connector_id: int
    status: str | None = None  # the connector status, when the message carries one
    error_code: str | None = None  # OCPP 1.6 errorCode as sent
    faults: tuple[Fault, ...] = ()  # errors reported active
    cleared: tuple[Fault, ...] = ()  # errors reported cleared one by one
    clear_all: bool = False  # NoError: nothing is wrong on this connector any more
    rule: SetRule = SetRule.REPLACE
    timestamp: datetime | None = None  # the charger's own time, parsed; None if absent/broken
    timestamp_raw: str | None = None
    # The OCPP version of the message ("1.6", "2.0.1"): tells the tracker whether a per-code clear
    # was a 1.6 "Error <code> resolved" status or a 2.x NotifyEvent `cleared` flag.
    version: str | None = None
    # The connector reports Faulted but names no code (1.6 Faulted with NoError, 2.0.1
    # connectorStatus Faulted): the fault the tracker opens unless a code explains it.
    unexplained: Fault | None = None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A whole message decoded: its reports plus everything off-spec about it."""

    version: str | None = None  # "1.6" or "2.0.1" when known
    action: str | None = None
    message_id: str | None = None
    reports: tuple[Report, ...] = ()
    warnings: tuple[DecodeWarning, ...] = ()
    payload: dict[str, object] | None = field(default=None, hash=False, compare=False)
    # The text in front of the JSON on a log line (time, charger id, arrow), kept raw for the
    # log analyser; None when the input was the message alone.
    prefix: str | None = None

    @property
    def faults(self) -> tuple[Fault, ...]:
        """Every fault reported active, across reports."""
        return tuple(f for r in self.reports for f in r.faults)

    @property
    def cleared(self) -> tuple[Fault, ...]:
        return tuple(f for r in self.reports for f in r.cleared)
