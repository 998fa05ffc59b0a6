"""The code catalog as views: search results and one code explained, for drivers and programs.

/help and /help/{scheme}/{code} render these dicts; /api/v1/codes serves them as JSON. Texts
come in `lang` (catalog texts, English where one is missing) and the page's own words in
`words` (the safety line, the names of relations).
"""

from __future__ import annotations

from evfault.catalog.catalog import Catalog
from evfault.catalog.export import candidate_to_dict, entry_to_dict, scheme_to_dict
from evfault.catalog.model import CatalogEntry, Kind
from evfault.catalog.screen import read_screen
from evfault.web import shapes
from evfault.web.http import ApiError
from evfault.web.i18n import Words, safety_line
from evfault.web.params import Page
from evfault.web.shapes import Json

# A code carried by many others (OtherError carries every MREC code) lists none of them.
MAX_CARRIED = 12


def _check_scheme(catalog: Catalog, scheme: str | None) -> str | None:
    if scheme is None:
        return None
    names = {name.lower(): name for name in catalog.schemes}
    if scheme.lower() not in names:
        allowed = ", ".join(sorted(catalog.schemes))
        raise ApiError(400, f"scheme must be one of {allowed}, not {scheme!r}.")
    return names[scheme.lower()]


def find(catalog: Catalog, q: str | None, scheme: str | None, lang: str) -> list[CatalogEntry]:
    """Exact code matches, then the codes the text names as a screen would show them
    ("Error CX011", "Erdschluss"), then entries whose words match, best first."""
    if not q:
        found = list(catalog.entries)
    else:
        reading = read_screen(catalog, q)
        found = _unique([*catalog.resolve(q), *reading.entries])
        if not reading.found_codes:  # next to a code, the other words are the screen's noise
            found = _unique([*found, *catalog.search(q, lang)])
    return [e for e in found if scheme is None or e.scheme == scheme]


def _unique(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Each entry once, where it first appears."""
    firsts: dict[str, CatalogEntry] = {}
    for entry in entries:
        firsts.setdefault(entry.ref, entry)
    return list(firsts.values())


def with_links(entry: CatalogEntry, lang: str) -> Json:
    data = entry_to_dict(entry, lang)
    data["help_url"] = shapes.help_url(entry.scheme, entry.code)
    return data


def search(
    catalog: Catalog, q: str | None, scheme: str | None, lang: str, page: Page
) -> Json:
    """GET /api/v1/codes: catalog entries matching a code or words, one page of them."""
    scheme = _check_scheme(catalog, scheme)
    found = find(catalog, q, scheme, lang)
    chosen = found[page.offset : page.offset + page.limit]
    return {
        "query": q,
        "scheme": scheme,
        "lang": lang,
        "codes": [with_links(e, lang) for e in chosen],
        "total": len(found),
        "limit": page.limit,
        "offset": page.offset,
    }


def single_match(catalog: Catalog, q: str) -> str | None:
    """The page of the one code `q` names (F001, evgo-mrec:F001, "Error CX011"), if just one."""
    hits = catalog.resolve(q) or read_screen(catalog, q).entries
    return shapes.help_url(hits[0].scheme, hits[0].code) if len(hits) == 1 else None


def help_index(catalog: Catalog, q: str | None, lang: str, words: Words) -> Json:
    """The /help page: search results for `q`, or every scheme and its codes to browse."""
    found = find(catalog, q, None, lang) if q else []
    return {
        "query": q,
        "lang": lang,
        "results": [with_links(e, lang) for e in found[:50]],
        "total": len(found),
        "schemes": [_scheme_summary(catalog, name, lang) for name in sorted(catalog.schemes)],
        "safety": safety_line(words),
    }


def _scheme_summary(catalog: Catalog, name: str, lang: str) -> Json:
    data = scheme_to_dict(catalog.schemes[name])
    data["codes"] = [_related(e, lang, "", "") for e in catalog.in_scheme(name)]
    return data


# ---- one code -------------------------------------------------------------------------


def _related(entry: CatalogEntry, lang: str, relation: str, relation_text: str) -> Json:
    data: Json = dict(candidate_to_dict(entry, lang))
    data.update(
        severity=str(entry.severity),
        relation=relation,
        relation_text=relation_text,
        help_url=shapes.help_url(entry.scheme, entry.code),
    )
    return data


# How a related code is related: the token the API serves, and the UI string naming it.
EQUIVALENT, SENT_WITH, CARRIED = "equivalent", "sent_with", "carried"


def related(catalog: Catalog, entry: CatalogEntry, lang: str, words: Words) -> list[Json]:
    """Equivalent codes in other schemes (both directions) and the codes it travels with."""
    links: dict[str, Json] = {}

    def add(other: CatalogEntry, relation: str) -> None:
        if other.ref != entry.ref and other.ref not in links:
            links[other.ref] = _related(other, lang, relation, words(f"relation.{relation}"))

    for ref in entry.equivalents:
        for other in catalog.resolve(ref):
            add(other, EQUIVALENT)
    for other in catalog.entries:
        if entry.ref in other.equivalents:
            add(other, EQUIVALENT)
    if entry.ocpp_error_code:
        for other in catalog.resolve(entry.ocpp_error_code):
            add(other, SENT_WITH)
    carried = [e for e in catalog.entries if e.ocpp_error_code == entry.code]
    if entry.kind is not Kind.CARRIER and len(carried) <= MAX_CARRIED:
        for other in carried:
            add(other, CARRIED)
    return list(links.values())


class UnknownCode(ApiError):
    """No such code: a 404 that the help pages turn into advice for the driver."""

    def __init__(self, scheme: str, code: str) -> None:
        super().__init__(
            404,
            f"There is no code {code!r} in the {scheme!r} scheme; "
            "search for it at /api/v1/codes?q=CODE.",
        )
        self.scheme = scheme
        self.code = code


def detail(catalog: Catalog, scheme: str, code: str, lang: str, words: Words) -> Json:
    """GET /api/v1/codes/{scheme}/{code}: every field, related codes and the safety line."""
    entry = catalog.get(scheme, code)
    if entry is None:
        raise UnknownCode(scheme, code)
    data = with_links(entry, lang)
    data.update(
        scheme_title=catalog.schemes[entry.scheme].title,
        related=related(catalog, entry, lang, words),
        safety=safety_line(words),
    )
    return data
