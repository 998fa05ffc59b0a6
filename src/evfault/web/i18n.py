"""The driver pages' own words in every language, and which language a request gets.

Each language is one file, `strings/<lang>.yaml`, with the keys of `en.yaml` (the source).
Adding a language is adding that file (and the catalog's `text/<lang>/` folder): the picker,
`?lang=`, the cookie and Accept-Language all pick it up without a code change.

A page's language is chosen by, in order: `?lang=`, the cookie the language picker sets, the
browser's Accept-Language, then English; each wish is matched with the catalog's rules
(`de-AT` → `de`, `pt-BR` → `pt`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markupsafe import Markup, escape

from evfault.catalog.langs import match_language, negotiate, parse_accept_language
from evfault.catalog.model import DEFAULT_LANG

if TYPE_CHECKING:  # the words alone serve the CLI too, without loading the web stack
    from starlette.requests import Request
    from starlette.responses import Response

STRINGS_DIR = Path(__file__).resolve().parent / "strings"
COOKIE = "evfault_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a driver's language does not change between visits
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class StringsError(ValueError):
    """A UI-strings file does not have the shape the pages need; the message names it."""


@dataclass(frozen=True, slots=True)
class Words:
    """The pages' words in one language; a key this language lacks is taken from English."""

    lang: str
    name: str  # the language's own name, for the picker
    messages: Mapping[str, str]
    fallback: Mapping[str, str]
    same_as_english: frozenset[str] = frozenset()  # keys rightly worded as in English

    def __call__(self, key: str, **values: object) -> str:
        """The text for `key` with its {placeholders} filled in (Jinja escapes the result)."""
        return _fill(self._template(key), {k: str(v) for k, v in values.items()})

    def html(self, key: str, **values: object) -> Markup:
        """Like calling, for a text whose values are markup (`<code>F001</code>`): the text is
        escaped, values are escaped unless they are Markup already."""
        filled = _fill(str(escape(self._template(key))), {k: escape(v) for k, v in values.items()})
        return Markup(filled)

    def get(self, key: str, default: str) -> str:
        """The text for `key`, or `default` when no language has it (a vendor pack's new word)."""
        return self.messages.get(key) or self.fallback.get(key) or default

    def _template(self, key: str) -> str:
        template = self.messages.get(key) or self.fallback.get(key)
        if template is None:
            raise KeyError(f"no UI string {key!r}")
        return template


def _fill(template: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def safety_line(words: Words) -> str:
    """The safety box: the reviewed action ("stop charging, step away") inside its sentence."""
    return words("safety.box", action=words("safety.action"))


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


class UiStrings:
    """Every language the pages speak, English first."""

    def __init__(self, languages: Mapping[str, Words]) -> None:
        if DEFAULT_LANG not in languages:
            raise StringsError(f"there is no {DEFAULT_LANG}.yaml, the source of every language")
        english = languages[DEFAULT_LANG].messages
        order = [DEFAULT_LANG, *sorted(lang for lang in languages if lang != DEFAULT_LANG)]
        self.words: dict[str, Words] = {
            lang: replace(languages[lang], fallback=english) for lang in order
        }

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.words)

    def __getitem__(self, lang: str) -> Words:
        return self.words[match_language(lang, self.words) or DEFAULT_LANG]

    def choose(self, asked: str | None, cookie: str | None, accept: str | None) -> str:
        """The page language: `?lang=`, then the picker's cookie, then Accept-Language."""
        wishes = [asked, cookie, *parse_accept_language(accept)]
        return negotiate(wishes, self.words) or DEFAULT_LANG


# ---- reading the files -------------------------------------------------------------------------


def _flatten(tree: Any, where: str, prefix: str = "") -> dict[str, str]:
    if not isinstance(tree, Mapping):
        raise StringsError(f"{where}: 'strings' must be a mapping of keys to texts")
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, where, f"{name}."))
        elif isinstance(value, str):
            flat[name] = " ".join(value.split())
        else:  # a bare `no` is a boolean in YAML: say so rather than show "False" to a driver
            raise StringsError(f"{where}: {name} must be text (quote it), not {value!r}")
    return flat


# libyaml's loader: the pure-Python one took 0.3 s of `evfault explain`'s start-up.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_strings(path: Path) -> Words:
    """One language file (`<lang>.yaml`) → its words (English fallback filled in later)."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise StringsError(f"{path.name}: cannot be read as YAML ({exc})") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("name"), str):
        raise StringsError(f"{path.name}: needs lang, name (the language's own name) and strings")
    lang = match_language(str(doc.get("lang")), [path.stem])
    if lang is None:
        raise StringsError(f"{path.name}: lang {doc.get('lang')!r} does not match the file name")
    same = doc.get("same_as_english") or []
    if not isinstance(same, list) or not all(isinstance(key, str) for key in same):
        raise StringsError(f"{path.name}: same_as_english must be a list of keys")
    messages = _flatten(doc.get("strings"), path.name)
    return Words(lang, doc["name"], messages, messages, frozenset(same))


def load_strings(folder: Path = STRINGS_DIR) -> UiStrings:
    """Every `<lang>.yaml` in `folder`."""
    found = [read_strings(path) for path in sorted(folder.glob("*.yaml"))]
    return UiStrings({words.lang: words for words in found})


@lru_cache(maxsize=1)
def default_strings() -> UiStrings:
    return load_strings()


# ---- per request -------------------------------------------------------------------------------


def strings_of(request: Request) -> UiStrings:
    """The app's UI strings (a test or a deployment may set `app.state.ui_strings`)."""
    custom: UiStrings | None = getattr(request.app.state, "ui_strings", None)
    return custom or default_strings()


def page_language(request: Request) -> str:
    """The language a driver page answers in (see the module's docstring)."""
    return strings_of(request).choose(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language"),
    )


def picker_links(request: Request, current: str) -> list[dict[str, Any]]:
    """One link per language: this page again with `lang=` set, which the page remembers."""
    links = []
    for lang, words in strings_of(request).words.items():
        url = request.url.include_query_params(lang=lang)
        # One leading slash: a 404 page for `//host/x` must not link to another site.
        path = "/" + url.path.lstrip("/")
        links.append(
            {"lang": lang, "name": words.name, "href": f"{path}?{url.query}",
             "current": lang == current}
        )
    return links


def remember(request: Request, response: Response, lang: str) -> Response:
    """Set the picker's cookie when the page was asked for in a language it speaks, and say
    that the answer depends on the language wishes (for caches)."""
    asked = request.query_params.get("lang")
    if asked and match_language(asked, strings_of(request).words) == lang:
        response.set_cookie(
            COOKIE, lang, max_age=COOKIE_MAX_AGE, path="/", samesite="lax", httponly=True,
            secure=request.url.scheme == "https",
        )
    response.headers["content-language"] = lang
    response.headers["vary"] = "Accept-Language, Cookie"
    return response
