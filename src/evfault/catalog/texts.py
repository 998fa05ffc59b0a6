"""Entry texts in every language: English inline in each scheme file, the rest in text files.

A scheme file `data/evgo_mrec.yaml` carries its English texts inline (so a vendor pack stays
one file) and may carry other languages inline too. Every other language lives next to it in
`data/text/<lang>/evgo_mrec.yaml`, keyed by code. A language's file is read the first time
someone asks for that language, so `evfault explain F001` never parses seven translations.

Whatever a translation leaves out is filled in from English and remembered as a gap: readers
always get a whole text, and the completeness rules (schema.py) see what is still missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from evfault.catalog.langs import normalize_tag
from evfault.catalog.model import DEFAULT_LANG, LIST_FIELDS, TEXT_FIELDS, EntryText

TEXT_DIR = "text"  # the folder of translations, beside the scheme files

try:  # the C loader is several times faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class CatalogDataError(ValueError):
    """A data file does not have the shape the catalog needs; the message names the place."""


Texted = tuple[EntryText, frozenset[str]]  # a text and the fields English had to fill in


# ---- one language's texts for one entry --------------------------------------------------------


def strings(raw: Any, name: str) -> tuple[str, ...]:
    """A list of strings; a lone string counts as a list of one."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise CatalogDataError(f"{name!r} must be a list of strings")
    return tuple(raw)


def _fields(raw: Any) -> dict[str, Any]:
    """The fields a text mapping gives, type-checked; a field left out or null is absent."""
    if not isinstance(raw, Mapping):
        raise CatalogDataError("the texts of a language must be a mapping of fields")
    unknown = sorted(str(key) for key in raw if key not in TEXT_FIELDS)
    if unknown:
        known = ", ".join(TEXT_FIELDS)
        raise CatalogDataError(f"unknown text field {unknown[0]!r} (known: {known})")
    given: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            continue
        if name in LIST_FIELDS:
            given[name] = strings(value, name)
        elif isinstance(value, str):
            given[name] = value
        else:
            raise CatalogDataError(f"{name!r} must be text")
    return given


def parse_english(raw: Any) -> EntryText:
    """The English texts: the source every language falls back to, so title and summary are due."""
    given = _fields(raw)
    for name in ("title", "summary"):
        if name not in given:
            raise CatalogDataError(f"the '{DEFAULT_LANG}' text has no {name!r}")
    return EntryText(**{**{name: () for name in LIST_FIELDS}, **given})


def over_english(raw: Any, english: EntryText) -> Texted:
    """A translation with English filling each field it leaves out, and the names of those."""
    given = _fields(raw)
    merged = {name: given.get(name) or getattr(english, name) for name in TEXT_FIELDS}
    gaps = frozenset(name for name in TEXT_FIELDS if not given.get(name) and getattr(english, name))
    return EntryText(**merged), gaps


def untranslated(english: EntryText) -> Texted:
    """An entry a language's file does not mention yet: English throughout, all of it a gap."""
    return english, frozenset(name for name in TEXT_FIELDS if getattr(english, name))


# ---- the translation files of one scheme file --------------------------------------------------


def translation_files(scheme_file: Path) -> dict[str, Path]:
    """`text/<lang>/<scheme file name>` beside a scheme file, by language (no file is read)."""
    folder = scheme_file.parent / TEXT_DIR
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for lang_dir in sorted(folder.iterdir()):
        path = lang_dir / scheme_file.name
        lang = normalize_tag(lang_dir.name)
        if lang is not None and lang != DEFAULT_LANG and path.is_file():
            found[lang] = path
    return found


class Translations:
    """The translation files of one scheme, each read and checked when its language is asked for."""

    def __init__(self, scheme: str, files: Mapping[str, Path]) -> None:
        self.scheme = scheme
        self.files = dict(files)
        self.english: dict[str, EntryText] = {}  # by upper-case code, filled in by the loader
        self.inline: dict[str, frozenset[str]] = {}  # languages each code already has inline
        self._loaded: dict[str, dict[str, Texted]] = {}

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.files)

    def text(self, lang: str, code: str) -> Texted:
        """The `lang` text of `code`; English (all a gap) where the file does not have it yet."""
        texts = self._loaded.get(lang)
        if texts is None:
            texts = self._loaded[lang] = self._read(lang)
        return texts.get(code.upper()) or untranslated(self.english[code.upper()])

    def load_all(self) -> None:
        """Read every language now (to check the files, or before serving)."""
        for lang in self.files:
            if lang not in self._loaded:
                self._loaded[lang] = self._read(lang)

    def _read(self, lang: str) -> dict[str, Texted]:
        path = self.files[lang]
        where = f"{TEXT_DIR}/{path.parent.name}/{path.name}"
        try:
            with path.open(encoding="utf-8") as fh:
                doc = yaml.load(fh, Loader=_Loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CatalogDataError(f"{where}: cannot be read as YAML ({_one_line(exc)})") from exc
        return parse_translation(doc, where, lang, self)

    def own_language(self, code: str, lang: str) -> bool:
        return lang in self.inline.get(code.upper(), frozenset())


def parse_translation(doc: Any, where: str, lang: str, known: Translations) -> dict[str, Texted]:
    """A translation file (already parsed) → its texts by upper-case code, checked against the
    scheme it translates; every problem names the file and, where there is one, the code."""
    if not isinstance(doc, Mapping):
        raise CatalogDataError(f"{where}: the file must hold a mapping (lang, scheme, entries)")
    declared = normalize_tag(str(doc.get("lang", "")))
    if declared != lang:
        raise CatalogDataError(
            f"{where}: lang {doc.get('lang')!r} does not match its folder {lang!r}"
        )
    if doc.get("scheme") != known.scheme:
        raise CatalogDataError(
            f"{where}: scheme {doc.get('scheme')!r} is not {known.scheme!r}, "
            "the scheme of the file it translates"
        )
    entries = doc.get("entries") or {}
    if not isinstance(entries, Mapping):
        raise CatalogDataError(f"{where}: 'entries' must map each code to its texts")
    texts: dict[str, Texted] = {}
    for code, raw in entries.items():
        key = str(code).upper()
        if key not in known.english:
            raise CatalogDataError(f"{where}: code {code} is not a code of {known.scheme}")
        if known.own_language(key, lang):
            raise CatalogDataError(f"{where}: code {code} already has '{lang}' texts inline")
        try:
            texts[key] = over_english(raw, known.english[key])
        except CatalogDataError as exc:
            raise CatalogDataError(f"{where}: code {code}: {exc}") from exc
    return texts


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


# ---- what an entry holds -----------------------------------------------------------------------


class EntryTexts(Mapping[str, EntryText]):
    """Every language of one entry: its inline texts, then its scheme's translation files."""

    def __init__(
        self, code: str, inline: Mapping[str, Texted], translations: Translations | None = None
    ) -> None:
        self._code = code
        self._inline = dict(inline)
        self._translations = translations

    def _texted(self, lang: str) -> Texted:
        if self._translations is not None and lang in self._translations.files:
            # read even when the language is inline: the file must not give it a second time
            from_file = self._translations.text(lang, self._code)
            return self._inline.get(lang, from_file)
        return self._inline[lang]

    def __getitem__(self, lang: str) -> EntryText:
        return self._texted(lang)[0]

    def __iter__(self) -> Iterator[str]:
        yield from self._inline
        if self._translations is not None:
            yield from (lang for lang in self._translations.files if lang not in self._inline)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def gaps(self, lang: str) -> frozenset[str]:
        return self._texted(lang)[1]


class TextGaps(Mapping[str, frozenset[str]]):
    """Per language, the fields English still fills in (a view over an entry's texts)."""

    def __init__(self, texts: EntryTexts) -> None:
        self._texts = texts

    def __getitem__(self, lang: str) -> frozenset[str]:
        return self._texts.gaps(lang)

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)
