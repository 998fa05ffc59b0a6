"""What a charger's screen says, matched against the closed list of known codes.

Screen text is noisy: typed by a driver ("cx 011", "Fehler F-001") or read by OCR from a photo
("ErrorF006", "CXO11", a Cyrillic С for a C). Every rule here only ever picks an entry that is
already in the catalog, so a fuzzy rule can make a code harder to find but never invent one.

Pure and light: the search box and `evfault explain` import this, so no numpy, no OCR here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from evfault.catalog.catalog import Catalog
from evfault.catalog.model import CatalogEntry, Kind

# Letters from other scripts (and symbols) drawn exactly like a Latin letter. OCR models trained
# on several scripts emit them for Latin text; they are the same shape, so they cost nothing.
_SAME_SHAPE = str.maketrans(
    {
        **dict.fromkeys("АаΑα", "A"), **dict.fromkeys("ВвΒβ", "B"), **dict.fromkeys("Сс", "C"),
        **dict.fromkeys("ЕеΕε", "E"), **dict.fromkeys("НнΗ", "H"), **dict.fromkeys("ІіΙι", "I"),
        **dict.fromkeys("КкΚκ", "K"), **dict.fromkeys("МмΜ", "M"), **dict.fromkeys("Ν", "N"),
        **dict.fromkeys("ОоΟο", "O"), **dict.fromkeys("РрΡρ", "P"), **dict.fromkeys("ТтΤτ", "T"),
        **dict.fromkeys("ХхΧχ×✕✖", "X"), **dict.fromkeys("УуΥ", "Y"), **dict.fromkeys("Ζ", "Z"),
        **dict.fromkeys("Ѕѕ", "S"), **dict.fromkeys("Јј", "J"), **dict.fromkeys("|¦", "I"),
    }
)
# Characters a reader confuses on any screen; one such swap per code is allowed.
_LOOK_ALIKE = ("O0", "D0", "Q0", "I1", "L1", "T7", "S5", "B8", "Z2", "G6")
# What a seven- or fourteen-segment display leaves ambiguous: a segment too faint to read
# turns an F into an E, an A into an 8 (its bottom segment), an 8 into a 0 (its middle one);
# a seven-segment A has a flat top that readers take for an R or an H.
_SEGMENT_ALIKE = ("EF", "A8", "AR", "AH", "80", "B0", "69", "5S", "U0", "H8")
# The two a single faint segment turns into another letter: offered next to a literal reading.
_SEGMENT_TWINS = ("EF", "A8")
_SEPARATORS = " -_:./"
_MAX_SEPARATORS = 3  # "CX - 011" is one code; a wider gap is two things on the screen
_LONGEST_PHRASE = 6  # words: longer screen phrases are cut into windows of at most this many
_NAME_MIN_LETTERS = 8  # "Problem", "cleared": short OCPP field names are ordinary words
_WORD = re.compile(r"[^\W_]+")

# Confidence of one match, from how literally the screen showed the code.
EXACT, SEPARATED, GLUED = 1.0, 0.97, 0.93
SWAPPED, SEGMENT_SWAP = 0.8, 0.6
NAME_EXACT, NAME_FUZZY = 0.9, 0.75


@dataclass(frozen=True, slots=True)
class ScreenMatch:
    """One catalog entry the screen names, how sure we are (0–1), and what showed it."""

    entry: CatalogEntry
    score: float
    seen: str  # the text on the screen that named it
    how: str  # "code", "name" (an OCPP name) or "words" (a phrase in some language)
    lang: str | None = None  # the language of the phrase, for "words"


@dataclass(frozen=True, slots=True)
class ScreenReading:
    """Every code the screen names, most likely first, and the language its words suggest."""

    matches: tuple[ScreenMatch, ...]
    lang_hint: str | None  # from the error words and phrases seen ("Fehler" → de)

    @property
    def entries(self) -> list[CatalogEntry]:
        return [m.entry for m in self.matches]

    @property
    def single(self) -> CatalogEntry | None:
        """The entry when the screen names exactly one; None for none or a choice."""
        return self.matches[0].entry if len(self.matches) == 1 else None

    @property
    def found_codes(self) -> bool:
        """Whether a code (not just words) was on the screen: the other words are then noise."""
        return any(m.how == "code" for m in self.matches)


# ---- normalising ---------------------------------------------------------------------------------


def canonical(text: str) -> str:
    """Full-width and other compatibility forms folded (Ｆ → F), other scripts' look-alikes made
    Latin, upper case; one character for one, so positions still point into the original."""
    return "".join(_canonical_char(ch) for ch in text)


@lru_cache(maxsize=4096)
def _canonical_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).translate(_SAME_SHAPE).upper()
    return folded if len(folded) == 1 else ch


_FOLD_EXTRA = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Lower case without accents ("Błąd" → "blad"), for comparing words across spellings."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def words_of(text: str) -> list[str]:
    """The folded words of a line; apostrophes and hyphens split ("d'isolement", "Not-Aus")."""
    return _WORD.findall(fold(text))


def letter_pairs(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def edits_allowed(letters: int) -> int:
    """About one wrong letter in eight; short words must match exactly."""
    return letters // 8


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


# ---- the index built from a catalog --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Phrase:
    compact: str  # folded letters and digits, no spaces
    pairs: frozenset[str]  # its letter pairs, to rule out most phrases before counting edits
    words: int
    key: str  # the catalog code or alias it names
    lang: str | None  # None for an OCPP name, which is no language


@dataclass(frozen=True, slots=True)
class _Index:
    short_codes: dict[tuple[int, int], dict[str, list[CatalogEntry]]]  # (length, split) → codes
    phrases: dict[int, list[_Phrase]]  # by compact length
    entries_by_key: dict[str, list[CatalogEntry]]
    error_words: dict[str, tuple[str, ...]]  # folded word → languages using it


def _split_point(code: str) -> int | None:
    """Where a short code's letters end and its number starts (CX011 → 2), if it has that shape."""
    found = re.fullmatch(r"([A-Z]{1,3})([0-9][0-9A-Z]{1,4})", code)
    return len(found.group(1)) if found else None


def _camel_words(name: str) -> int:
    return len(re.findall(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[0-9]+", name)) or 1


def _names_of(entry: CatalogEntry) -> Iterable[str]:
    """The OCPP-style names of an error (its code and aliases): matched as words, not codes."""
    if entry.kind not in (Kind.ERROR, Kind.CONDITION):
        return ()
    names = (entry.code, *entry.aliases)
    return [n for n in names if _split_point(n.upper()) is None and _camel_words(n) >= 2]


@lru_cache(maxsize=1)
def _screen_words() -> dict[str, Any]:
    source = resources.files("evfault.catalog") / "screen_words.yaml"
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    return data


def _short_codes(catalog: Catalog) -> dict[tuple[int, int], dict[str, list[CatalogEntry]]]:
    shapes: dict[tuple[int, int], dict[str, list[CatalogEntry]]] = {}
    for entry in catalog.entries:
        code = entry.code.upper()
        split = _split_point(code)
        if split is not None and any(ch.isdigit() for ch in code):
            shapes.setdefault((len(code), split), {}).setdefault(code, []).append(entry)
    return shapes


def _phrases(catalog: Catalog, words: dict[str, Any]) -> list[_Phrase]:
    phrases = [
        _phrase(fold(name), _camel_words(name), name, None)
        for entry in catalog.entries
        for name in _names_of(entry)
    ]
    for key, per_lang in (words.get("names") or {}).items():
        if not catalog.candidates(key):
            continue  # a table row for a code this catalog lacks names nothing
        for lang, texts in per_lang.items():
            for text in texts:
                found = words_of(text)
                phrases.append(_phrase("".join(found), len(found), key, str(lang)))
    return [p for p in phrases if p.compact]


def _phrase(compact: str, words: int, key: str, lang: str | None) -> _Phrase:
    return _Phrase(compact, letter_pairs(compact), words, key, lang)


def _error_words(words: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    langs: dict[str, list[str]] = {}
    for lang, texts in (words.get("error_words") or {}).items():
        for text in texts:
            langs.setdefault(fold(text), []).append(str(lang))
    return {word: tuple(found) for word, found in langs.items()}


@lru_cache(maxsize=8)
def _index(catalog: Catalog) -> _Index:
    words = _screen_words()
    by_length: dict[int, list[_Phrase]] = {}
    for phrase in _phrases(catalog, words):
        by_length.setdefault(len(phrase.compact), []).append(phrase)
    keys = {p.key for group in by_length.values() for p in group}
    return _Index(
        short_codes=_short_codes(catalog),
        phrases=by_length,
        entries_by_key={key: catalog.candidates(key) for key in keys},
        error_words=_error_words(words),
    )


def screen_languages() -> tuple[str, ...]:
    """The languages the screen-word table covers."""
    return tuple(_screen_words().get("languages") or ())


# ---- codes ---------------------------------------------------------------------------------------


def _window(line: str, start: int, length: int, split: int) -> tuple[str, str, int] | None:
    """`length` letters or digits from `start`, with a short separator only at `split`.

    Returns (the code as read, the text as shown, where it ends), or None.
    """
    chars: list[str] = []
    i = start
    while len(chars) < length:
        if len(chars) == split:
            gap = i
            while i < len(line) and line[i] in _SEPARATORS and i - gap < _MAX_SEPARATORS:
                i += 1
        if i >= len(line) or not line[i].isalnum():
            return None
        chars.append(line[i])
        i += 1
    if i < len(line) and line[i].isdigit():
        return None  # part of a longer number: F0012 is not F001
    return "".join(chars), line[start:i], i


def _swap_cost(seen: str, code: str, segment: bool, twins_only: bool = False) -> float | None:
    """How far `seen` is from `code`: None beyond one look-alike swap, else its confidence.

    `twins_only` allows only the segment twins (E/F, A/8): the swaps still worth offering when
    the screen showed another code literally.
    """
    factor = 1.0
    for a, b in zip(seen, code, strict=True):
        if a == b:
            continue
        if factor < 1.0:
            return None
        pair = {a + b, b + a}
        if twins_only:
            if not (segment and any(p in pair for p in _SEGMENT_TWINS)):
                return None
            factor = SEGMENT_SWAP
        elif any(p in pair for p in _LOOK_ALIKE):
            factor = SWAPPED
        elif segment and any(p in pair for p in _SEGMENT_ALIKE):
            factor = SEGMENT_SWAP
        else:
            return None
    return factor


def _code_matches(line: str, index: _Index, segment: bool) -> list[ScreenMatch]:
    text = canonical(line)
    found: list[ScreenMatch] = []
    for start, ch in enumerate(text):
        if not ch.isalnum():
            continue
        before = start > 0 and text[start - 1].isalnum()
        for (length, split), codes in index.short_codes.items():
            window = _window(text, start, length, split)
            if window is not None:
                end = window[2]
                glued = before or (end < len(text) and text[end].isalnum())
                found.extend(_codes_for(window, codes, glued, segment, line))
    return found


def _codes_for(
    window: tuple[str, str, int],
    codes: dict[str, list[CatalogEntry]],
    glued: bool,
    segment: bool,
    line: str,
) -> list[ScreenMatch]:
    read, shown, end = window
    seen = line[end - len(shown) : end]
    base = GLUED if glued else SEPARATED if len(shown) > len(read) else EXACT
    exact = codes.get(read)
    found = [ScreenMatch(e, base, seen, "code") for e in exact or ()]
    if exact and not segment:
        return found
    for code, entries in codes.items():
        if code == read:
            continue
        factor = _swap_cost(read, code, segment, twins_only=bool(exact))
        if factor is not None:
            score = base * factor * (0.9 if exact else 1.0)  # a literal reading stays first
            found.extend(ScreenMatch(e, round(score, 3), seen, "code") for e in entries)
    return found


# ---- names and phrases ---------------------------------------------------------------------------


def _phrase_matches(line: str, index: _Index) -> list[ScreenMatch]:
    words = words_of(line)
    found: list[ScreenMatch] = []
    for start in range(len(words)):
        for count in range(1, min(_LONGEST_PHRASE, len(words) - start) + 1):
            compact = "".join(words[start : start + count])
            for phrase, score in _phrases_near(compact, count, index):
                seen = " ".join(words[start : start + count])
                how = "name" if phrase.lang is None else "words"
                found.extend(
                    ScreenMatch(e, score, seen, how, phrase.lang)
                    for e in index.entries_by_key[phrase.key]
                )
    return found


def _phrases_near(compact: str, count: int, index: _Index) -> Iterable[tuple[_Phrase, float]]:
    """Phrases this run of words spells, exactly or with about one slip per eight letters."""
    limit = edits_allowed(len(compact))
    pairs = letter_pairs(compact) if limit else frozenset()
    for length in range(len(compact) - limit, len(compact) + limit + 1):
        for phrase in index.phrases.get(length, ()):
            if abs(phrase.words - count) > 1:
                continue  # OCR merges or splits a word, not a sentence
            if phrase.compact == compact:
                yield phrase, NAME_EXACT
            elif (
                len(compact) >= _NAME_MIN_LETTERS
                and limit
                # one edit removes at most two letter pairs: a cheap bound before the real count
                and len(pairs - phrase.pairs) <= 2 * limit
                and distance(compact, phrase.compact, limit) <= limit
            ):
                yield phrase, NAME_FUZZY


# ---- the whole screen ----------------------------------------------------------------------------


def _best_per_entry(matches: Iterable[ScreenMatch]) -> list[ScreenMatch]:
    best: dict[str, ScreenMatch] = {}
    order: dict[str, int] = {}
    for position, match in enumerate(matches):
        ref = match.entry.ref
        order.setdefault(ref, position)
        if ref not in best or match.score > best[ref].score:
            best[ref] = match
    return sorted(best.values(), key=lambda m: (-m.score, order[m.entry.ref]))


def _lang_hint(lines: Sequence[str], matches: Sequence[ScreenMatch], index: _Index) -> str | None:
    votes: dict[str, float] = {}
    for line in lines:
        for word in words_of(line):
            langs = index.error_words.get(word, ())
            for lang in langs:
                votes[lang] = votes.get(lang, 0.0) + 1.0 / len(langs)
    for match in matches:
        if match.lang:
            votes[match.lang] = votes.get(match.lang, 0.0) + 1.0
    return max(votes, key=lambda lang: votes[lang]) if votes else None


def read_screen(
    catalog: Catalog, text: str | Sequence[str], *, segment: bool = False
) -> ScreenReading:
    """Every catalog entry the screen text names, most likely first.

    `text` is one string (lines split at newlines) or the lines an OCR engine read. `segment`
    says the text came from a segment display, whose look-alikes (E/F, A/8) are then offered
    even next to a literal reading, for the driver to pick.
    """
    lines = text.splitlines() if isinstance(text, str) else [str(t) for t in text]
    index = _index(catalog)
    found: list[ScreenMatch] = []
    for line in lines:
        found.extend(_code_matches(line, index, segment))
        found.extend(_phrase_matches(line, index))
    matches = tuple(_best_per_entry(found))
    return ScreenReading(matches=matches, lang_hint=_lang_hint(lines, found, index))
