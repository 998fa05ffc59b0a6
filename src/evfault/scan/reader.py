"""A photo of a charger's screen → the codes it shows, explained in the screen's language.

The photo is read as taken first; only when that finds no code do the retries run: the screen
cut out, levelled and evened, then the same with the gaps of segment digits closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import DEFAULT_LANG
from evfault.catalog.screen import ScreenMatch, read_screen
from evfault.scan import language, prepare
from evfault.scan.engine import Engine, Pixels, TextLine, default_engine
from evfault.scan.image import Limits, open_photo
from evfault.scan.model import FoundCode, ScanResult

log = logging.getLogger("evfault.scan")

SURE = 0.8  # a reading with a code this sure ends the retries
SEGMENT_GAPS = (0.03, 0.05)  # gaps to close, as shares of the screen's height


@dataclass(frozen=True, slots=True)
class Attempt:
    name: str
    lines: tuple[TextLine, ...]
    matches: tuple[ScreenMatch, ...]
    segment: bool

    @property
    def best(self) -> float:
        return max((m.score for m in self.matches if m.how == "code"), default=0.0)


def _views(pixels: Pixels) -> Iterator[tuple[str, Callable[[], Pixels], bool]]:
    """The pictures to read in turn: (name, how to make it, whether it shows segments)."""
    screen: list[Pixels] = []

    def cut() -> Pixels:
        if not screen:
            found = prepare.find_screen(pixels)
            screen.append(prepare.fit(found) if found is not None else pixels)
        return screen[0]

    yield "photo", lambda: pixels, False
    yield "screen", lambda: prepare.even_light(cut()), False
    for gap in SEGMENT_GAPS:
        yield f"segments-{gap}", partial(_closed, cut, gap), True


def _closed(cut: Callable[[], Pixels], gap: float) -> Pixels:
    return prepare.close_segments(cut(), gap)


def _matches(catalog: Catalog, lines: Sequence[TextLine], segment: bool) -> list[ScreenMatch]:
    """Every match, its score weighed by how sure the engine was of the line it came from."""
    found: dict[str, ScreenMatch] = {}
    for line in lines:
        for match in read_screen(catalog, [line.text], segment=segment).matches:
            weighed = ScreenMatch(
                match.entry, round(match.score * line.score, 3), match.seen, match.how, match.lang
            )
            known = found.get(match.entry.ref)
            if known is None or weighed.score > known.score:
                found[match.entry.ref] = weighed
    return sorted(found.values(), key=lambda m: -m.score)


def read_pixels(catalog: Catalog, pixels: Pixels, engine: Engine) -> Attempt:
    """Read the photo, retrying on prepared views until a code is sure enough."""
    attempts: list[Attempt] = []
    for name, make, segment in _views(pixels):
        lines = tuple(engine.read(make()))
        attempt = Attempt(name, lines, tuple(_matches(catalog, lines, segment)), segment)
        if attempt.best >= SURE:
            return attempt
        attempts.append(attempt)
    if not any(a.best for a in attempts):
        # No view showed a code as printed: any view may still show one as a segment display
        # draws it (8005 for A005); offered as candidates for the driver to confirm.
        attempts = [
            Attempt(a.name, a.lines, tuple(_matches(catalog, a.lines, True)), True)
            for a in attempts
        ]
    return max(attempts, key=lambda a: (a.best, len(a.matches) > 0))


def answer_language(requested: str | None, text: str, hint: str | None) -> tuple[str, str | None]:
    """(the language to answer in, the screen's language): the driver's choice first, then
    the screen's words, then English."""
    screen = language.detect(text) or hint
    return requested or screen or DEFAULT_LANG, screen


def scan_photo(
    catalog: Catalog,
    data: bytes,
    *,
    limits: Limits | None = None,
    engine: Engine | None = None,
    lang: str | None = None,
) -> ScanResult:
    """Everything a photo's screen shows. PhotoError when the upload is no readable photo."""
    started = time.process_time()
    image = open_photo(data, limits or Limits())
    pixels = prepare.fit(prepare.to_rgb(image))
    attempt = read_pixels(catalog, pixels, engine or default_engine())
    return _result(catalog, attempt, lang, started)


def _result(
    catalog: Catalog, attempt: Attempt, lang: str | None, started: float
) -> ScanResult:
    texts = tuple(line.text for line in attempt.lines)
    hint = read_screen(catalog, texts).lang_hint
    answer, screen = answer_language(lang, "\n".join(texts), hint)
    codes = tuple(FoundCode(m.entry, m.score, m.seen) for m in attempt.matches)
    log.info(
        "scan: %s in %.2f s CPU (%s view)",
        ", ".join(c.entry.ref for c in codes) or "no code",
        time.process_time() - started,
        attempt.name,
    )
    return ScanResult(codes, texts, answer, screen, attempt.segment)
