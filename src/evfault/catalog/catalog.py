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
            self._by_ref[(entry.scheme, entry.code.upper())] = entry
            for name in (entry.code, *entry.aliases):
                self._by_code.setdefault(name.upper(), []).append(entry)
        self._by_vendor = {v.lower(): s for s in self.schemes.values() for v in s.vendor_ids}
        self._patterns = [
            (re.compile(s.code_pattern, re.IGNORECASE), s.name)
            for s in self.schemes.values()
            if s.code_pattern
        ]

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, scheme: str, code: str) -> CatalogEntry | None:
        """The entry for `code` in `scheme` (case-insensitive code), or None."""
        return self._by_ref.get((scheme, code.upper()))

    def candidates(self, code: str) -> list[CatalogEntry]:
        """Every entry, in any scheme, that this code (or alias) names."""
        return list(self._by_code.get(code.strip().upper(), ()))

    def resolve(self, ref: str, scheme: str | None = None) -> list[CatalogEntry]:
        """Entries for `scheme:code`, or a bare code (possibly several: ambiguous)."""
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
        return self._by_vendor.get(vendor_id.strip().lower().rstrip("/"))

    def scheme_for_code(self, code: str) -> str | None:
        """The scheme whose code pattern a bare code matches (CX011 → chargex-mrec)."""
        for pattern, name in self._patterns:
            if pattern.fullmatch(code):
                return name
        return None

    def in_scheme(self, scheme: str) -> list[CatalogEntry]:
        return [e for e in self.entries if e.scheme == scheme]

    def search(self, text: str, lang: str = DEFAULT_LANG, limit: int | None = None) -> list[
        CatalogEntry
    ]:
        """Entries matching words (a code, or words copied from a screen), best first."""
        words = [w for w in re.split(r"[^\w]+", text.lower()) if w]
        if not words:
            return []
        scored = [(self._score(e, words, lang), i, e) for i, e in enumerate(self.entries)]
        hits = [(-s, i, e) for s, i, e in scored if s > 0]
        hits.sort(key=lambda t: (t[0], t[1]))
        found = [e for _, _, e in hits]
        return found[:limit] if limit else found

    @staticmethod
    def _score(entry: CatalogEntry, words: list[str], lang: str) -> int:
        text = entry.text(lang)
        code = entry.code.lower()
        names = {code, *(a.lower() for a in entry.aliases)}
        title = text.title.lower()
        body = " ".join((text.summary, entry.category, *entry.classification)).lower()
        score = 0
        for word in words:
            if word in names:
                score += 100
            elif any(word in n for n in names) and len(word) >= 3:
                score += 30
            elif word in title:
                score += 10
            elif word in body:
                score += 3
            else:
                return 0 if len(words) == 1 else score
        return score


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog built from the bundled data files (loaded once per process)."""
    schemes, entries = load_all()
    return Catalog(schemes, entries)
