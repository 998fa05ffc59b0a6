"""Typed catalog entries: a code is a value with metadata, not a bare string."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from evfault.catalog.langs import match_language

DEFAULT_LANG = "en"  # the source language: every entry has it, every other falls back to it


class Severity(StrEnum):
    """How urgent a code is for the people at the charger and the operator."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Higher is more severe; used to sort the operator's error list."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Kind(StrEnum):
    """What sort of thing an entry describes."""

    ERROR = "error"  # a fault code a charger reports
    STATUS = "status"  # a connector status value
    CONDITION = "condition"  # something the platform observes (charger offline, meter lost)
    CARRIER = "carrier"  # a value that only carries another code (NoError, OtherError)


@dataclass(frozen=True, slots=True)
class Measurement:
    """The reading a code carries in `info`, and the limit that trips it."""

    quantity: str  # e.g. "proximity voltage"
    unit: str  # e.g. "VDC", "Ω", "µF", "°C"
    threshold: float | None = None
    comparison: str | None = None  # "<", "<=", ">", ">=": the reading that trips the code
    threshold_unit: str | None = None  # when the limit has another unit than the reading (Ω/V)

    def consistent(self, value: float) -> bool | None:
        """Whether a reading lies on the tripping side of the threshold (None: cannot tell)."""
        if self.threshold is None or self.comparison is None or self.threshold_unit:
            return None
        return _COMPARE[self.comparison](value, self.threshold)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
COMPARISONS: tuple[str, ...] = tuple(_COMPARE)


@dataclass(frozen=True, slots=True)
class Source:
    """Where the facts of an entry come from."""

    standard: str
    version: str
    url: str


@dataclass(frozen=True, slots=True)
class EntryText:
    """Everything a person reads about one code, in one language."""

    title: str
    summary: str  # plain words a driver understands
    driver_now: tuple[str, ...]  # what to do standing at the charger
    driver_next: tuple[str, ...]  # what to do afterwards
    operator_steps: tuple[str, ...]  # what the site operator checks, in order
    display_requirement: str | None = None  # what the EVSE screen must show, where set
    display_text: str | None = None  # the words to put on that screen (firmware export)


# The fields of EntryText, in file order: the keys a translation file may give per entry.
TEXT_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "driver_now",
    "driver_next",
    "operator_steps",
    "display_requirement",
    "display_text",
)
LIST_FIELDS = frozenset({"driver_now", "driver_next", "operator_steps"})
OPTIONAL_FIELDS = frozenset({"display_requirement", "display_text"})  # only where English has one


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One known code of one scheme, with the language-neutral facts and its texts."""

    scheme: str
    code: str
    kind: Kind
    severity: Severity
    category: str
    classification: tuple[str, ...]  # safety / maintenance / security / financial / authorization
    user_actionable: bool | None
    responsibility: tuple[str, ...]  # EV User / CSO / EVSE / EV, where the standard gives them
    source: Source
    texts: Mapping[str, EntryText] = field(hash=False, compare=False)
    measurement: Measurement | None = None
    expected_status: str | None = None  # the connector status the standard prescribes
    # The standard states no status rule: expected_status is the one its sample message shows
    # (ChargeX's CX006, CX011, CX019), so another status is worth a warning, not a failure.
    status_from_sample: bool = False
    expected_connector_id: int | None = None  # 0 where the code concerns the whole charger
    ocpp_error_code: str | None = None  # the OCPP 1.6 errorCode it travels with
    equivalents: tuple[str, ...] = ()  # "scheme:code" references
    aliases: tuple[str, ...] = ()  # other spellings that name this code (e.g. CableCheckFault)
    # Seen in a real charger's frames, its meaning plain from the message itself, but in no
    # table of its maker's: a driver's and operator's best reading, said to be one.
    observed: bool = False
    # `scheme:code` of the entry whose texts this one shares (an EVerest type → its MREC code).
    text_from: str | None = None
    # Per language, the fields its translation left out and English filled in: readers get a
    # whole text either way, the completeness rules see what is still to be translated.
    text_gaps: Mapping[str, frozenset[str]] = field(
        default_factory=dict, hash=False, compare=False
    )

    @property
    def ref(self) -> str:
        """The unambiguous name of this code: `scheme:code`."""
        return f"{self.scheme}:{self.code}"

    def text(self, lang: str = DEFAULT_LANG) -> EntryText:
        """The texts in `lang`, falling back to English, then to any language present."""
        return self.texts[self.text_lang(lang)]

    def text_lang(self, lang: str = DEFAULT_LANG) -> str:
        """The language `text(lang)` answers in: `lang` (de-AT → de), English, or any."""
        return match_language(lang, self.texts) or (
            DEFAULT_LANG if DEFAULT_LANG in self.texts else next(iter(self.texts))
        )

    @property
    def title(self) -> str:
        return self.text().title

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.texts))


@dataclass(frozen=True, slots=True)
class Scheme:
    """A family of codes (one data file): OCPP 1.6, EVgo MREC, ChargeX MREC, …"""

    name: str  # the short id used in refs and URLs, e.g. "evgo-mrec"
    title: str
    vendor_ids: tuple[str, ...]  # vendorId values that select this scheme
    source: Source
    code_pattern: str | None = None  # regex a code of this scheme matches, for recognition
    # The chargePointVendor names (BootNotification) of the maker whose chargers use these codes,
    # whatever vendorId they send (Alfen sends none): "Alfen" matches "Alfen BV".
    charge_point_vendors: tuple[str, ...] = ()
