"""`evfault explain` and `evfault codes`: the catalog on the command line."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from evfault.catalog.catalog import Catalog, default_catalog
from evfault.catalog.export import candidate_to_dict, display_to_dict, entry_to_dict
from evfault.catalog.langs import match_language
from evfault.catalog.model import DEFAULT_LANG, CatalogEntry, Measurement, Severity
from evfault.catalog.screen import read_screen
from evfault.errors import UserError
from evfault.web.i18n import Words, default_strings

P = ParamSpec("P")
R = TypeVar("R")

NOT_FOUND = 1  # exit status: no such code
AMBIGUOUS = 2  # exit status: the code names several entries; the person must choose

_SEVERITY_STYLE = {Severity.CRITICAL: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_COMPARISON_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}

CodeArg = Annotated[
    str,
    typer.Argument(
        help="A code (F001, CX011, GroundFailure), scheme:code (evgo-mrec:F001), or what the "
        "screen shows ('Error CX011', 'Erdschluss').",
        show_default=False,
    ),
]
VendorOpt = Annotated[
    str | None,
    typer.Option(
        "--vendor",
        help="The vendorId that sent the code (com.evgo.mrec); picks the scheme for a bare code.",
    ),
]
SchemeOpt = Annotated[
    str | None, typer.Option("--scheme", help="Only codes of this scheme (evgo-mrec, ocpp1.6, …).")
]
SearchOpt = Annotated[
    str | None, typer.Option("--search", help="Words to look for: a code, a title, screen text.")
]
LangOpt = Annotated[
    str,
    typer.Option(
        "--lang", help="Language of the texts (de, fr, pt-BR, …); English where there is none."
    ),
]
DisplayOpt = Annotated[
    bool,
    typer.Option(
        "--display",
        help="The text each code shows on the charger's own screen (MREC display "
        "requirement), in --lang, for firmware.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text for people.")]


def register(app: typer.Typer) -> None:
    """Add `explain` and `codes` to the app (once, however often it is called)."""
    if any(c.name == "explain" for c in app.registered_commands):
        return
    app.command("explain")(explain)
    app.command("codes")(codes)


def catalog() -> Catalog:
    """The catalog the commands read; a function so tests can swap in their own."""
    return default_catalog()


def _user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A UserError becomes one sentence on stderr and its exit status, never a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            typer.echo(f"evfault: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None

    return run


# ---- explain -----------------------------------------------------------------------------------


@_user_errors
def explain(
    code: CodeArg,
    vendor: VendorOpt = None,
    lang: LangOpt = DEFAULT_LANG,
    as_json: JsonOpt = False,
) -> None:
    """Explain one code: what it means, what a driver and an operator should do."""
    cat = catalog()
    found = find_entries(cat, code, vendor)
    if len(found) > 1:
        _show_candidates(found, lang, as_json)
        raise UserError(
            f"'{code.strip()}' names {len(found)} codes; ask for one as scheme:code, "
            f"for example `evfault explain {found[0].ref}`.",
            exit_code=AMBIGUOUS,
        )
    if as_json:
        _print_json(entry_to_dict(found[0], lang))
    else:
        render_entry(Console(highlight=False), cat, found[0], lang)


def find_entries(cat: Catalog, code: str, vendor: str | None = None) -> list[CatalogEntry]:
    """The entries a person means by `code` (and `--vendor`); UserError when there are none."""
    ref = code.strip()
    if not ref:
        raise UserError("Give a code to explain, for example F001 or evgo-mrec:F001.")
    scheme = _scheme_of(cat, ref, vendor)
    bare = ref.partition(":")[2] if _has_scheme_prefix(ref) else ref
    found = cat.resolve(bare, scheme)
    if not found and not _has_scheme_prefix(ref):
        # Text copied from a screen: "Error CX011", "cx-011", "Erdschluss".
        found = [e for e in read_screen(cat, ref).entries if scheme in (None, e.scheme)]
    if not found:
        raise UserError(_not_found(cat, bare, scheme), exit_code=NOT_FOUND)
    return found


def _has_scheme_prefix(ref: str) -> bool:
    return ":" in ref and not ref.lower().startswith("http")


def _scheme_of(cat: Catalog, ref: str, vendor: str | None) -> str | None:
    """The scheme named by a `scheme:` prefix or by --vendor; None means search all schemes."""
    if _has_scheme_prefix(ref):
        return _known_scheme(cat, ref.partition(":")[0])
    if vendor is None:
        return None
    scheme = cat.scheme_for_vendor(vendor)
    if scheme is None:
        known = ", ".join(sorted(v for s in cat.schemes.values() for v in s.vendor_ids))
        raise UserError(f"No scheme is known for vendorId '{vendor}'; known vendorIds: {known}.")
    return scheme.name


def _known_scheme(cat: Catalog, name: str) -> str:
    scheme = name.strip().lower()
    if scheme not in cat.schemes:
        raise UserError(f"Unknown scheme '{name}'; use one of: {', '.join(cat.schemes)}.")
    return scheme


def _not_found(cat: Catalog, code: str, scheme: str | None) -> str:
    hint = f"try `evfault codes --search {code}` to look for it."
    if scheme:
        return f"'{code}' is not a code of {scheme}; {hint}"
    guess = cat.scheme_for_code(code)
    if guess:
        return f"'{code}' has the {guess} code format but is not in the catalog; {hint}"
    return f"Unknown code '{code}'; {hint}"


def _show_candidates(found: Sequence[CatalogEntry], lang: str, as_json: bool) -> None:
    if as_json:
        _print_json({"candidates": [candidate_to_dict(e, lang) for e in found]})
        return
    console = Console(highlight=False)
    for entry in found:
        console.print(f"{escape(entry.ref)} — {escape(entry.text(lang).title)}")


# ---- codes -------------------------------------------------------------------------------------


@_user_errors
def codes(
    scheme: SchemeOpt = None,
    search: SearchOpt = None,
    lang: LangOpt = DEFAULT_LANG,
    display: DisplayOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List the catalog: every code, or those of one scheme or matching some words."""
    cat = catalog()
    entries = select_entries(cat, scheme, search, lang)
    if display:
        show_display_texts(cat, entries, lang, as_json)
    elif as_json:
        _print_json({"codes": [entry_to_dict(e, lang) for e in entries]})
    elif entries:
        Console(highlight=False).print(codes_table(entries, lang))
    else:
        typer.echo(f"No code matches '{search}'." if search else "The catalog has no codes.")


def show_display_texts(
    cat: Catalog, entries: Sequence[CatalogEntry], lang: str, as_json: bool
) -> None:
    """`codes --display`: the screen text of every code that has one, in one language."""
    chosen = match_language(lang, cat.languages)
    if chosen is None:
        raise UserError(
            f"There are no texts in '{lang}'; use one of: {', '.join(cat.languages)}."
        )
    rows = [row for row in (display_to_dict(e, chosen) for e in entries) if row]
    if as_json:
        _print_json({"lang": chosen, "codes": rows})
        return
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("scheme", "code", "screen text"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(escape(row["scheme"]), escape(row["code"]), escape(row["display_text"]))
    Console(highlight=False).print(table)


def select_entries(
    cat: Catalog, scheme: str | None, search: str | None, lang: str
) -> list[CatalogEntry]:
    """The entries `codes` lists: best matches first when searching, catalog order otherwise."""
    wanted = _known_scheme(cat, scheme) if scheme else None
    entries = cat.search(search, lang) if search else list(cat)
    return [e for e in entries if wanted is None or e.scheme == wanted]


def codes_table(entries: Sequence[CatalogEntry], lang: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    for column in ("scheme", "code", "severity", "title"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            escape(entry.scheme),
            escape(entry.code),
            _severity(entry.severity),
            escape(entry.text(lang).title),
        )
    return table


# ---- rendering one entry -----------------------------------------------------------------------


def render_entry(console: Console, cat: Catalog, entry: CatalogEntry, lang: str) -> None:
    """An entry for a person: header, summary, steps for driver and operator, then the facts."""
    text, words = entry.text(lang), cli_words(lang)
    console.print(_header(entry, lang))
    if match_language(lang, [entry.text_lang(lang)]) is None:
        console.print(f"[dim](no '{escape(lang)}' text yet; shown in {entry.text_lang(lang)})[/]")
    console.print(escape(text.summary))
    _print_steps(console, words("code.now"), text.driver_now)
    _print_steps(console, words("code.next"), text.driver_next)
    _print_steps(console, words("code.operator"), text.operator_steps)
    console.print()
    console.print(_facts_grid(cat, entry, lang))


def cli_words(lang: str) -> Words:
    """The headings in the language of the texts (the help pages' words, one source)."""
    return default_strings()[lang]


def _header(entry: CatalogEntry, lang: str) -> Panel:
    tags = " · ".join(
        [
            _severity(entry.severity),
            entry.kind.value,
            escape(entry.category),
            *map(escape, entry.classification),
        ]
    )
    body = f"[bold]{escape(entry.text(lang).title)}[/]\n{tags}"
    return Panel(body, title=escape(entry.ref), title_align="left", expand=False)


def _severity(severity: Severity) -> str:
    return f"[{_SEVERITY_STYLE[severity]}]{severity.value}[/]"


def _print_steps(console: Console, heading: str, steps: Sequence[str]) -> None:
    if not steps:
        return
    console.print(f"\n[bold]{heading}[/]")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", min_width=4, no_wrap=True)
    grid.add_column(overflow="fold")
    for number, step in enumerate(steps, start=1):
        grid.add_row(f"{number}.", escape(step))
    console.print(grid)


def _facts_grid(cat: Catalog, entry: CatalogEntry, lang: str) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in _facts(cat, entry, lang):
        grid.add_row(label, escape(value))
    return grid


def _facts(cat: Catalog, entry: CatalogEntry, lang: str) -> list[tuple[str, str]]:
    text = entry.text(lang)
    rows: list[tuple[str, str | None]] = [
        ("Screen must show", text.display_requirement),
        ("Reading in info", describe_measurement(entry.measurement)),
        ("Expected", _expected(entry)),
        ("Same fault as", _equivalents(cat, entry, lang)),
        ("Also spelt", ", ".join(entry.aliases) or None),
        ("Resolved by", ", ".join(entry.responsibility) or None),
        ("Driver can fix", _yes_no(entry.user_actionable)),
        ("Source", _source(entry)),
    ]
    return [(label, value) for label, value in rows if value]


def describe_measurement(measurement: Measurement | None) -> str | None:
    """`proximity voltage in VDC; trips below 1.23 VDC` — the reading and its limit in words."""
    if measurement is None:
        return None
    reading = f"{measurement.quantity} in {measurement.unit}"
    if measurement.comparison is None:
        return reading
    words = _COMPARISON_WORDS[measurement.comparison]
    if measurement.threshold is None:
        return f"{reading}; trips {words} the limit the equipment is built for"
    unit = measurement.threshold_unit or measurement.unit
    return f"{reading}; trips {words} {measurement.threshold:g} {unit}"


def _expected(entry: CatalogEntry) -> str | None:
    parts = []
    if entry.expected_status:
        parts.append(f"status {entry.expected_status}")
    if entry.expected_connector_id is not None:
        parts.append(f"connectorId {entry.expected_connector_id}")
    if entry.ocpp_error_code and entry.ocpp_error_code != entry.code:
        parts.append(f"errorCode {entry.ocpp_error_code}")
    return ", ".join(parts) or None


def _equivalents(cat: Catalog, entry: CatalogEntry, lang: str) -> str | None:
    names = []
    for ref in entry.equivalents:
        other = cat.resolve(ref)
        names.append(f"{ref} — {other[0].text(lang).title}" if len(other) == 1 else ref)
    return "; ".join(names) or None


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _source(entry: CatalogEntry) -> str:
    source = entry.source
    label = f"{source.standard} {source.version}"
    return f"{label} — {source.url}" if source.url else label


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
