"""The EV-ChART uptime (module 3) and outage (module 4) modules as CSV rows.

Station id is the charger id, port id `<charger>-<connector>`. Module 3 has one row per port and
month of the quarter; each row's uptime is the NEVI figure over the twelve months that end with
that month, and its total_outage and total_outage_excl are the minutes of that same window, so
every row satisfies the 680.116(b)(3) formula on its own. Module 4 lists every outage that
overlaps the quarter, its duration the whole outage's minutes (to the end of the data if it is
still going on).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from evfault.analytics.model import Window
from evfault.analytics.uptime import Outage, Port, add_months, monthly_uptime

MODULE3 = ("station_id", "port_id", "uptime_reporting_start", "uptime_reporting_end", "uptime",
           "total_outage", "total_outage_excl")
MODULE4 = ("station_id", "port_id", "outage_id", "outage_duration", "excluded_outage",
           "excluded_outage_reason", "excluded_outage_notes")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def quarter(text: str) -> Window:
    """`2026Q3` → July 1 to October 1, 2026 (UTC)."""
    match = _QUARTER.match(text.strip())
    if match is None:
        raise ValueError(f"A quarter is written like 2026Q3, not {text!r}.")
    start = datetime(int(match[1]), 3 * int(match[2]) - 2, 1, tzinfo=UTC)
    return Window(start, add_months(start, 3))


def port_id(charger_id: str, connector_id: int) -> str:
    return f"{charger_id}-{connector_id}"


def module3(found: Iterable[Outage], ports: Iterable[Port], window: Window) -> list[list[str]]:
    rows = []
    last_month = window.until - timedelta(microseconds=1)
    for _, row in monthly_uptime(found, ports, window.since, last_month):
        rows.append([row.charger_id, port_id(row.charger_id, row.connector_id),
                     _day(row.since), _day(row.until - timedelta(days=1)),
                     f"{row.uptime:.2f}", f"{row.outage_min:.0f}", f"{row.excluded_min:.0f}"])
    return sorted(rows, key=lambda r: (r[0], r[1], r[3]))


def module4(found: Iterable[Outage], window: Window) -> list[list[str]]:
    rows = []
    for o in found:
        if o.end <= window.since or o.start >= window.until:
            continue
        excl = o.exclusion
        rows.append([o.charger_id, port_id(o.charger_id, o.connector_id),
                     o.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     f"{o.minutes:.0f}", "TRUE" if excl else "FALSE",
                     "" if excl is None else str(excl.reason), "" if excl is None else excl.notes])
    return rows


def as_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def report(found: list[Outage], ports: Iterable[Port], window: Window) -> str:
    """Both modules in one CSV text: module 3, a blank line, module 4."""
    ports = list(ports)
    return (as_csv(("module", *MODULE3), (["3", *r] for r in module3(found, ports, window)))
            + "\n"
            + as_csv(("module", *MODULE4), (["4", *r] for r in module4(found, window))))


def _day(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")
