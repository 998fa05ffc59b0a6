"""`evfault decode [FILE|-] [--json]`: OCPP-J frames, payloads or log lines → faults, one by one.

The input is streamed message by message (cli/inputs.py, the same reader as `evfault check`), so
a log of any size runs in constant memory.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated

import orjson
import typer

from evfault.catalog import default_catalog
from evfault.cli.inputs import open_messages
from evfault.conformance import Judge
from evfault.decode import Decoded, Fault
from evfault.decode.export import decoded_to_dict
from evfault.decode.packs import for_charger

SourceArg = Annotated[
    str,
    typer.Argument(
        help="A file of frames, payloads or log lines: one per line, pretty-printed over "
        "several lines, or a JSON array of them (.gz too); - for stdin.",
        metavar="FILE|-",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="One JSON object per message (JSON Lines).")
]
VendorOpt = Annotated[
    str | None,
    typer.Option(
        "--charger-vendor",
        help="The chargePointVendor of the charger that sent the frames (\"Alfen BV\"): its "
        "maker's vendor packs then read codes no vendorId explains. Without it, a "
        "BootNotification among the frames sets it.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add `decode` to the app (once, however often it is called)."""
    if any(c.name == "decode" for c in app.registered_commands):
        return
    app.command("decode")(decode_command)


def decode_command(source: SourceArg = "-", as_json: JsonOpt = False,
                   charger_vendor: VendorOpt = None) -> None:
    """Decode OCPP-J frames, payloads or log lines: faults, clears and warnings per line."""
    judge = Judge()  # the one rule set: the warnings `evfault check` and the server give
    catalog = default_catalog()
    render = json_line if as_json else text_block
    out = sys.stdout
    vendor = charger_vendor
    try:
        with open_messages(source) as found:
            for number, text in found:
                decoded, vendor = for_charger(judge.line(number, text).decoded, catalog,
                                              charger_vendor, vendor)
                out.write(render(number, decoded))
    except BrokenPipeError:  # `evfault decode big.log | head`: the reader has had enough
        _silence_stdout()


def json_line(number: int, decoded: Decoded) -> str:
    """{"line": n, "faults": [...], "cleared": [...], "warnings": [...], ...} and a newline."""
    record = {"line": number, **decoded_to_dict(decoded)}
    return orjson.dumps(record).decode() + "\n"


def text_block(number: int, decoded: Decoded) -> str:
    """A heading for the message, then one indented line per fault, clear and warning."""
    lines = [f"line {number}: {_heading(decoded)}"]
    for report in decoded.reports:
        where = _connector(report.connector_id)
        lines += [f"  fault    {_fault(f)}  ({where})" for f in report.faults]
        lines += [f"  cleared  {_fault(f)}  ({where})" for f in report.cleared]
        if report.clear_all:
            lines.append(f"  cleared  every error on {where} (NoError)")
    lines += [f"  warning  [{w.rule}] {w.message}" for w in decoded.warnings]
    return "\n".join(lines) + "\n"


def _heading(decoded: Decoded) -> str:
    if decoded.action is None:
        return "a reply from the central system" if decoded.message_id else "not a message"
    version = f" (OCPP {decoded.version})" if decoded.version else ""
    statuses = [f"{_connector(r.connector_id)} {r.status}" for r in decoded.reports if r.status]
    nothing = "" if decoded.reports else ", no faults"
    detail = f": {', '.join(statuses)}" if statuses else nothing
    return f"{decoded.action}{version}{detail}"


def _connector(connector_id: int) -> str:
    return "whole charger" if connector_id == 0 else f"connector {connector_id}"


def _fault(fault: Fault) -> str:
    text = f"{fault.scheme}:{fault.code}  {fault.title}"
    if fault.reading is not None:
        text += f"  {fault.reading.raw} {fault.reading.unit}"
    elif fault.info:
        text += f"  info {fault.info!r}"
    if fault.entry is None and fault.vendor_id:
        text += f"  vendorId {fault.vendor_id!r}"
    if fault.guessed:
        text += "  (no vendorId: scheme guessed from the code's shape)"
    return text


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
