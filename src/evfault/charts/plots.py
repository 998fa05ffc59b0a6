"""The four plots of a reliability report, from the report dict (analytics/report.py).

Each plot has a title, labelled axes with their units, and draws "no data" rather than an empty
frame. Text stays text in the SVG (svg.fonttype none), so labels can be read, searched and
translated; `words` gives every label in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

Words = Callable[..., str]
PLOTS = ("mttr", "uptime", "over_time", "worst")
MAX_BARS = 15
BLUE, RED, GREY = "#1f5fa8", "#c0392b", "#7f8c8d"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False,
                                "svg.hashsalt": "evfault"})
    import matplotlib.pyplot as plt

    return plt


def figures(report: dict[str, Any], t: Words) -> dict[str, Any]:
    """name → a matplotlib Figure, for every plot of the report."""
    plt = _pyplot()
    drawn = {}
    for name, draw in (("mttr", _mttr), ("uptime", _uptime), ("over_time", _over_time),
                       ("worst", _worst)):
        fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
        draw(ax, report, t)
        drawn[name] = fig
    return drawn


def svgs(report: dict[str, Any], t: Words) -> dict[str, str]:
    """name → the plot as SVG text."""
    plt = _pyplot()
    out = {}
    for name, fig in figures(report, t).items():
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
        out[name] = buffer.getvalue()
    return out


def _empty(ax: Any, t: Words) -> None:
    ax.text(0.5, 0.5, t("reliability.no_data"), ha="center", va="center",
            transform=ax.transAxes, color=GREY)


def _mttr(ax: Any, report: dict[str, Any], t: Words) -> None:
    rows = [r for r in report["mttr"]["code"] if r["incidents"]][:MAX_BARS]
    ax.set_title(t("reliability.mttr_title"), loc="left")
    ax.set_xlabel(t("reliability.mttr_axis"))
    ax.set_ylabel(t("reliability.code"))
    if not rows:
        _empty(ax, t)
        return
    labels = [r["group"].split(":", 1)[-1] for r in rows][::-1]
    values = [r["mean_min"] for r in rows][::-1]
    bars = ax.barh(labels, values, color=BLUE)
    ax.bar_label(bars, labels=[f"{v:.0f}" for v in values], padding=2, fontsize=8)


def _uptime(ax: Any, report: dict[str, Any], t: Words) -> None:
    rows = report["uptime"]  # lowest first
    target = report["target_uptime"]
    ax.set_title(t("reliability.uptime_title"), loc="left")
    ax.set_ylabel(t("reliability.uptime_axis"))
    ax.set_xlabel(t("reliability.ports_axis"))
    if not rows:
        _empty(ax, t)
        return
    values = [r["uptime"] for r in rows]
    colours = [RED if v < target else BLUE for v in values]
    ax.bar(range(1, len(values) + 1), values, color=colours, width=1.0 if len(values) > 60 else 0.8)
    low = min(min(values), target)
    ax.set_ylim(max(0.0, low - (100 - low) * 0.25 - 0.5), 100.2)
    ax.axhline(target, color=RED, linestyle="--", linewidth=1.2,
               label=t("reliability.target_line", target=f"{target:g}"))
    ax.legend(loc="lower right", frameon=False)
    if len(values) <= 20:
        ax.set_xticks(range(1, len(values) + 1),
                      [f"{r['charger_id']}/{r['connector_id']}" for r in rows],
                      rotation=45, ha="right", fontsize=7)


def _over_time(ax: Any, report: dict[str, Any], t: Words) -> None:
    days = report["incidents_per_day"]
    ax.set_title(t("reliability.over_time_title"), loc="left")
    ax.set_ylabel(t("reliability.over_time_axis"))
    ax.set_xlabel(t("reliability.date_axis"))
    if not days:
        _empty(ax, t)
        return
    when = [date.fromisoformat(d["day"]) for d in days]
    ax.bar(when, [d["opened"] for d in days], color=BLUE, width=0.9)
    ax.figure.autofmt_xdate()


def _worst(ax: Any, report: dict[str, Any], t: Words) -> None:
    rows = report["worst_chargers"]
    ax.set_title(t("reliability.worst_title"), loc="left")
    ax.set_xlabel(t("reliability.worst_axis"))
    ax.set_ylabel(t("reliability.charger"))
    if not rows:
        _empty(ax, t)
        return
    rows = rows[::-1]
    bars = ax.barh([r["charger_id"] for r in rows], [r["incidents"] for r in rows], color=BLUE)
    ax.bar_label(bars, labels=[f"{r['lowest_uptime']:.2f} %" for r in rows], padding=2,
                 fontsize=8)
