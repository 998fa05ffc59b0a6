"""What a scan answers: the codes found with their confidence, or tips for a better photo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evfault.catalog.export import entry_to_dict
from evfault.catalog.model import CatalogEntry

# Shown when no code could be read; plain words, to be translated with the other page texts.
TIPS: tuple[str, ...] = (
    "Hold the phone straight in front of the screen, close enough that the code fills about a "
    "third of the photo.",
    "Avoid reflections: tilt the phone a little, or shade the screen with your hand.",
    "Hold still until the camera has focused, then take the photo.",
    "You can also type the code you see into the search box.",
)


# A single code read less surely than this is offered for the driver to confirm, not opened.
CONFIRM_BELOW = 0.6


@dataclass(frozen=True, slots=True)
class FoundCode:
    """One code the photo shows: how sure we are (0–1) and the text it was read from."""

    entry: CatalogEntry
    confidence: float
    seen: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything read from one photo."""

    codes: tuple[FoundCode, ...]  # most likely first
    lines: tuple[str, ...]  # the text read, top to bottom
    lang: str  # the language of the answer
    screen_lang: str | None  # the language the screen's words are in, where it could tell
    segment: bool  # the code was read only after closing the gaps of a segment display

    @property
    def status(self) -> str:
        """'found' (one sure code), 'choose' (several, or one unsure: the driver picks) or
        'unreadable'."""
        if not self.codes:
            return "unreadable"
        one = len(self.codes) == 1 and self.codes[0].confidence >= CONFIRM_BELOW
        return "found" if one else "choose"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape the CLI and the API both serve."""
        return {
            "status": self.status,
            "codes": [
                entry_to_dict(c.entry, self.lang) | {"confidence": c.confidence, "seen": c.seen}
                for c in self.codes
            ],
            "lang": self.lang,
            "screen_lang": self.screen_lang,
            "segment_display": self.segment,
            "text": list(self.lines),
            "tips": list(TIPS) if not self.codes else [],
        }
