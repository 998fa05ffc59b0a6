"""Look codes up: by scheme and code, by bare code across schemes, by vendorId, by words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from evfault.catalog.loader import load_all
from evfault.catalog.model import DEFAULT_LANG, CatalogEntry, Scheme


class Catalog:
    """Every known code, indexed for the lookups the decoders, CLI and web pages make."""

    def __init__(self, schemes: Iterable[Scheme], entries: Iterable[CatalogEntry]) -> None:
        self.schemes: dict[str, Scheme] = {s.name: s for s in schemes}
        self.entries: tuple[CatalogEntry, ...] = tuple(entries)
        self._by_ref: dict[tuple[str, str], CatalogEntry] = {}
        self._by_code: dict[str, list[CatalogEntry]] = {}
        for entry in self.entries:
            self._by_ref[(entry.scheme.lower(), entry.code.upper())] = entry
            for name in (entry.code, *entry.aliases):
                self._by_code.setdefault(name.upper(), []).append(entry)
        self._by_vendor = {_vendor_key(v): s for s in self.schemes.values() for v in s.vendor_ids}
        self._patterns = [
            (re.compile(s.code_pattern, re.IGNORECASE), s.name)
            for s in self.schemes.values()
            if s.code_pattern
        ]

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language some entry has a text in, English first."""
        found = {lang for entry in self.entries for lang in entry.texts}
        return (DEFAULT_LANG, *sorted(found - {DEFAULT_LANG}))

    def read_every_language(self) -> None:
        """Read every translation file now rather than on first use: a broken one raises here."""
        for entry in self.entries:
            for lang in entry.texts:
                _ = entry.texts[lang]

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, scheme: str, code: str) -> CatalogEntry | None:
        """The entry for `code` in `scheme` (both case-insensitive), or None."""
        return self._by_ref.get((scheme.strip().lower(), code.strip().upper()))

    def candidates(self, code: str) -> list[CatalogEntry]:
        """Every entry, in any scheme, that this code (or alias) names."""
        return list(self._by_code.get(code.strip().upper(), ()))

    def resolve(self, ref: str, scheme: str | None = None) -> list[CatalogEntry]:
        """Entries for `scheme:code`, or a bare code (possibly several: ambiguous)."""
        ref = ref.strip()
        if scheme is None and ":" in ref and not ref.startswith("http"):
            scheme, _, ref = ref.partition(":")
        if scheme:
            hit = self.get(scheme, ref.strip())
            return [hit] if hit else []
        return self.candidates(ref)

    def scheme_for_vendor(self, vendor_id: str | None) -> Scheme | None:
        """The scheme a vendorId selects (com.evgo.mrec → evgo-mrec), if any."""
        if not vendor_id:
            return None
        return self._by_vendor.get(_vendor_key(vendor_id))

    def schemes_for_charger(self, charge_point_vendor: str | None) -> list[Scheme]:
        """The schemes of the maker a chargePointVendor names ("Alfen BV" → alfen), if any."""
        words = vendor_words(charge_point_vendor or "")
        if not words:
            return []
        return [
            scheme for scheme in self.schemes.values()
            if any(_starts_with(words, vendor_words(name)) for name in scheme.charge_point_vendors)
        ]

    def scheme_for_code(self, code: str) -> str | None:
        """The scheme whose code pattern a bare code matches (CX011 → chargex-mrec)."""
        for pattern, name in self._patterns:
            if pattern.fullmatch(code):
                return name
        return None

    def in_scheme(self, scheme: str) -> list[CatalogEntry]:
        """Every entry of one scheme (named in any case), in file order."""
        name = scheme.strip().lower()
        return [e for e in self.entries if e.scheme == name]

    def search(
        self, text: str, lang: str = DEFAULT_LANG, limit: int | None = None
    ) -> list[CatalogEntry]:
        """Entries matching words (a code, or words copied from a screen), best first.

        Entries matching more of the words rank first. Words need not all match (a photo of a
        screen is noisy), but an entry must match more than half as many words as the best one.
        """
        words = [w for w in re.split(r"[^\w]+", text.lower()) if w]
        if not words:
            return []
        phrase = " ".join(words)
        ranked = []
        for index, entry in enumerate(self.entries):
            matched, score = _score(entry, words, phrase, lang)
            if matched:
                ranked.append(((-matched, -score, index), entry))
        ranked.sort(key=lambda pair: pair[0])
        best = -ranked[0][0][0] if ranked else 0
        found = [entry for key, entry in ranked if -key[0] * 2 > best]
        return found[:limit] if limit else found


def _score(entry: CatalogEntry, words: list[str], phrase: str, lang: str) -> tuple[int, int]:
    """(how many words match, how well): a code or alias beats the title, the title the body."""
    text = entry.text(lang)
    names = {entry.code.lower(), *(a.lower() for a in entry.aliases)}
    title = text.title.lower()
    body = " ".join((text.summary, entry.category, *entry.classification)).lower()
    matched = score = 0
    if entry.text_from:  # its words are its lender's: found by its own name only
        title = body = ""
    for word in words:
        points = _word_points(word, names, title, body)
        matched += points > 0
        score += points
    if len(words) > 1 and phrase in title:
        score += 50
    return matched, score


def _word_points(word: str, names: set[str], title: str, body: str) -> int:
    if word in names:
        return 100
    if len(word) >= 3 and any(word in name for name in names):
        return 30
    if word in title:
        return 10
    return 3 if word in body else 0


def vendor_words(name: str) -> tuple[str, ...]:
    """A maker's name as lower-case words: "ALFEN B.V." and "Alfen BV" read alike."""
    return tuple(re.findall(r"[a-z0-9]+", name.lower().replace(".", "")))


def _starts_with(words: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    return bool(prefix) and words[: len(prefix)] == prefix


def _vendor_key(vendor_id: str) -> str:
    """vendorId values compare case-insensitively and without a trailing slash."""
    return vendor_id.strip().lower().rstrip("/")


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog built from the bundled data files (loaded once per process)."""
    schemes, entries = load_all()
    return Catalog(schemes, entries)
