"""`evfault analyze FILE…`: incidents, MTTR, uptime and charging success from OCPP-J logs.

Every frame goes through the server's own message path (logs/replay.py), so a log gives the
incidents the live server would have recorded. Files are streamed (gzip too) in the order given;
give them oldest first. A line that cannot be read is counted and reported, never fatal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from evfault.analytics import report
from evfault.analytics.model import Window
from evfault.analytics.tables import to_json
from evfault.charts import page
from evfault.errors import UserError
from evfault.logs.formats import FORMATS, read_records
from evfault.logs.records import parse_time
from evfault.logs.replay import Replay, Replayed
from evfault.logs.source import SafeLines, open_log
from evfault.tracking.config import TrackerConfig
from evfault.web import i18n
from evfault.web.i18n import Words

FilesArg = Annotated[list[str], typer.Argument(help="Log files (.gz too), oldest first; - for "
                                                    "stdin.", metavar="FILE…", show_default=False)]
FormatOpt = Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")]
WhenOpt = Annotated[str | None, typer.Option(help="A time like 2026-07-01 or "
                                             "2026-07-01T08:00:00Z (UTC unless a zone is given).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="The whole report as JSON.")]
ChargerOpt = Annotated[str | None, typer.Option(
    "--charger", help="The charger id for lines that name none (default: the file's name).")]
OutOpt = Annotated[Path | None, typer.Option(help="Write the report as one HTML file "
                                            "(plots and styles inside).")]
PdfOpt = Annotated[Path | None, typer.Option(help="Write a printable PDF report.")]
LangOpt = Annotated[str, typer.Option(help="Language of the HTML and PDF report (en de fr es "
                                           "it nl pt pl).")]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHOWN = 10  # rows per table in the text summary


def register(app: typer.Typer) -> None:
    if any(c.name == "analyze" for c in app.registered_commands):
        return
    app.command("analyze")(analyze_command)


def when(text: str | None, option: str) -> datetime | None:
    """A time a person typed; a date alone is its midnight, UTC."""
    if text is None:
        return None
    value = text.strip()
    if _DAY.match(value):
        value += "T00:00:00Z"
    parsed = parse_time(value) if not value.isdigit() else None
    if parsed is None:
        raise UserError(f"{option} {text!r} is not a time; write it like 2026-07-01 or "
                        "2026-07-01T08:00:00Z.")
    return parsed


def analyze_command(files: FilesArg, fmt: FormatOpt = "auto", since: WhenOpt = None,
                    until: WhenOpt = None, as_json: JsonOpt = False,
                    html: OutOpt = None, pdf: PdfOpt = None, lang: LangOpt = "en",
                    charger: ChargerOpt = None) -> None:
    """Incidents, MTTR, NEVI uptime and charging success from OCPP-J log files."""
    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    start, end = when(since, "--since"), when(until, "--until")
    if start and end and end <= start:
        raise UserError("--until must be later than --since.")
    words = _words(lang)
    for target in (html, pdf):
        if target is not None and not target.parent.is_dir():
            raise UserError(f"The folder {target.parent} does not exist; create it or write "
                            "the report elsewhere.")
    replayed = replay_files(files, fmt, end, charger)
    result = analysis(replayed, start, end)
    if as_json:
        typer.echo(to_json(result))
    else:
        typer.echo(summary(result))
    if (html or pdf) and result["report"] is None:
        raise UserError("There is nothing to draw: the log has no dated frames from a charger.")
    if html is not None:
        html.write_text(page.standalone_html(result["report"], words, words.lang),
                        encoding="utf-8")
        typer.echo(f"evfault: wrote {html}", err=True)
    if pdf is not None:
        pdf.write_bytes(page.pdf(result["report"], words))
        typer.echo(f"evfault: wrote {pdf}", err=True)


def _words(lang: str) -> Words:
    strings = i18n.default_strings()
    if lang not in strings.languages:
        raise UserError(f"--lang must be one of {' '.join(strings.languages)}, not {lang!r}.")
    return strings[lang]


def replay_files(files: list[str], fmt: str, until: datetime | None = None,
                 charger: str | None = None, config: TrackerConfig | None = None) -> Replayed:
    """Every file through one replay, in the order given."""
    replay = Replay(config, until)
    for name in files:
        with open_log(name) as stream:
            lines = SafeLines(stream)
            default = charger or (Path(name).name.split(".")[0] if name != "-" else "CP")
            replay.feed(read_records(lines, fmt), name, default)
            if lines.damage is not None:
                replay.result.unreadable += 1
                replay.result.reasons.append((name, 0, lines.damage))
        if replay.stopped:
            break
    return replay.finish()


def analysis(replayed: Replayed, since: datetime | None, until: datetime | None
             ) -> dict[str, Any]:
    """The report over [since, until) (the log's own span where not given) and what was read."""
    first = since or replayed.first
    last = until or replayed.last
    read = {"frames": replayed.frames, "skipped": replayed.skipped,
            "rejected": replayed.rejected, "unreadable": replayed.unreadable,
            "problems": [{"file": f, "line": n, "reason": r} for f, n, r in replayed.reasons]}
    if first is None or last is None or last <= first:
        return {"read": read, "report": None}
    history = report.History(list(replayed.incidents.values()), replayed.status_changes,
                             replayed.connectivity, replayed.chargers)
    return {"read": read,
            "report": report.build(history, Window(first, last), replayed.exclusions)}


def summary(result: dict[str, Any]) -> str:
    read, rep = result["read"], result["report"]
    out = [f"Read {read['frames']:,} frames from chargers ({read['skipped']:,} other frames "
           f"passed over, {read['rejected']:,} a server would refuse)."]
    if read["unreadable"]:
        out.append(f"Unreadable lines: {read['unreadable']:,}. The first of them:")
        out += [f"  {p['file']}:{p['line']}: {p['reason']}" for p in read["problems"][:SHOWN]]
    if rep is None:
        out.append("No time span to report on: the log has no dated frames from a charger.")
        return "\n".join(out)
    t, w = rep["totals"], rep["window"]
    out.append(f"From {w['since']} to {w['until']}: {t['incidents']:,} incidents opened "
               f"({t['cleared']:,} cleared) on {t['chargers']:,} chargers, {t['ports']:,} ports.")
    out.append("MTTR by code (minutes; mean, median; repairs: remote / visit / by itself):")
    for row in rep["mttr"]["code"][:SHOWN]:
        out.append(f"  {row['group']:<32} {row['incidents']:>6}  {row['mean_min']:>9.1f} "
                   f"{row['median_min']:>9.1f}   {row['remote']}/{row['visit']}/"
                   f"{row['self_cleared']}")
    below = [r for r in rep["uptime"] if r["below_target"]]
    out.append(f"NEVI uptime: {len(below)} of {t['ports']} ports below {rep['target_uptime']} %"
               + (":" if below else "."))
    out += [f"  {r['charger_id']}/{r['connector_id']}: {r['uptime']:.3f} % "
            f"(outage {r['outage_min']:.0f} min, excluded {r['excluded_min']:.0f} min)"
            for r in below[:SHOWN]]
    for row in rep["success"]:
        if row["success_rate"] is not None:
            out.append(f"Charging success: {row['success_rate']:.1f} % of {row['sessions']:,} "
                       "sessions ended normally.")
    return "\n".join(out)


def utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
