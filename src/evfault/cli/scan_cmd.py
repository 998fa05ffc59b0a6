"""`evfault scan IMAGE`: read a photo of a charger's screen and explain the codes it shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from evfault.catalog.catalog import default_catalog
from evfault.cli.settings_options import env_settings
from evfault.errors import UserError

UNREADABLE = 1  # exit status: no code could be read from the photo

ImageArg = Annotated[
    Path, typer.Argument(help="A photo of the charger's screen (JPEG or PNG).", show_default=False)
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Language of the answer (default: the screen's own language)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text for people.")]


def register(app: typer.Typer) -> None:
    if not any(c.name == "scan" for c in app.registered_commands):
        app.command("scan")(scan)


def scan(image: ImageArg, lang: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Read a photo of a charger's screen and explain the error codes it shows."""
    # Imported here: OCR loads numpy, OpenCV and onnxruntime, which no other command needs.
    from evfault.scan.image import Limits, PhotoError
    from evfault.scan.reader import scan_photo

    settings = env_settings()
    try:
        data = image.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read {image}: {exc.strerror or exc}.") from None
    limits = Limits(max_bytes=settings.scan_max_upload, max_pixels=settings.scan_max_pixels)
    try:
        result = scan_photo(default_catalog(), data, limits=limits, lang=lang)
    except PhotoError as exc:
        raise UserError(f"{image}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print(Console(highlight=False), result.as_dict())
    if not result.codes:
        raise typer.Exit(UNREADABLE)


def _print(console: Console, data: dict[str, object]) -> None:
    codes = data["codes"]
    assert isinstance(codes, list)
    if not codes:
        console.print("[bold]Could not read a code on this photo.[/]")
        for tip in data["tips"] or []:  # type: ignore[attr-defined]
            console.print(f"  • {escape(str(tip))}")
        return
    if len(codes) > 1:
        console.print(f"[bold]{len(codes)} possible codes, most likely first:[/]")
    for code in codes:
        console.print(
            f"\n[bold]{escape(code['ref'])}[/] — {escape(code['title'])} "
            f"[dim](confidence {code['confidence']:.0%}, read as “{escape(code['seen'])}”)[/]"
        )
        console.print(escape(code["summary"]))
        for number, step in enumerate(code["driver_now"], start=1):
            console.print(f"  {number}. {escape(step)}")
