"""The Reliability report as one self-contained HTML file and as a printable PDF."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any

from evfault.charts.plots import Words, figures, svgs
from evfault.web.templates import STATIC_DIR, templates


def data_uris(report: dict[str, Any], t: Words) -> dict[str, str]:
    """name → the plot as a data: URI (pages allow data: images; a file needs no other file)."""
    return {name: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
            for name, svg in svgs(report, t).items()}


def generated_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def standalone_html(report: dict[str, Any], t: Words, lang: str,
                    generated: str | None = None) -> str:
    """The page's report, styles and plots inside, no link to anything."""
    css = (STATIC_DIR / "reliability.css").read_text(encoding="utf-8")
    page = templates.env.get_template("reliability_file.html")
    from evfault.web.reliability import longest_outages

    return page.render(rep=report, t=t, page_lang=lang, plots=data_uris(report, t), css=css,
                       generated=generated or generated_now(), longest=longest_outages(report),
                       can_operate=False)


def pdf(report: dict[str, Any], t: Words, generated: str | None = None) -> bytes:
    """A printable report: a summary page with the tables, then one page per plot (A4)."""
    from matplotlib.backends.backend_pdf import PdfPages

    from evfault.charts.plots import _pyplot

    plt = _pyplot()
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": t("reliability.pdf_title"), "Creator": "evfault",
                                 "CreationDate": None}) as document:
        cover = _summary_page(plt, report, t, generated or generated_now())
        document.savefig(cover)
        plt.close(cover)
        for fig in figures(report, t).values():
            fig.set_size_inches(11.69, 5.5)
            document.savefig(fig)
            plt.close(fig)
    return out.getvalue()


def _summary_page(plt: Any, report: dict[str, Any], t: Words, generated: str) -> Any:
    fig = plt.figure(figsize=(8.27, 11.69))  # A4 portrait
    totals, window = report["totals"], report["window"]
    fig.text(0.07, 0.95, t("reliability.pdf_title"), fontsize=18, weight="bold")
    fig.text(0.07, 0.925, t("reliability.lead", since=window["since"], until=window["until"]),
             fontsize=7.5, wrap=True)
    lines = [f"{t('reliability.incidents')}: {totals['incidents']}",
             f"{t('reliability.cleared')}: {totals['cleared']}",
             f"{t('reliability.ports')}: {totals['ports']}",
             f"{t('reliability.below', target=report['target_uptime'])}: "
             f"{totals['ports_below_target']}"]
    lines += [f"{t('reliability.success')}: "
              + t("reliability.success_value", rate=f"{s['success_rate']:.1f}",
                  sessions=s["sessions"])
              for s in report["success"] if s["success_rate"] is not None]
    for i, line in enumerate(lines):
        fig.text(0.07, 0.87 - i * 0.022, line, fontsize=10)
    _table(fig, [0.07, 0.47, 0.86, 0.26], t("reliability.mttr_table"),
           [t("reliability.code"), t("reliability.count"), t("reliability.mean"),
            t("reliability.median")],
           [[r["group"], r["incidents"], f"{r['mean_min']:.1f}", f"{r['median_min']:.1f}"]
            for r in report["mttr"]["code"][:12]], t("reliability.no_data"))
    below = [r for r in report["uptime"] if r["below_target"]][:14]
    _table(fig, [0.07, 0.08, 0.86, 0.30], t("reliability.below_table"),
           [t("reliability.charger"), t("reliability.port"), t("reliability.outage"),
            t("reliability.uptime")],
           [[r["charger_id"], r["connector_id"], f"{r['outage_min']:.0f}",
             f"{r['uptime']:.3f}"] for r in below], t("reliability.below_none"))
    fig.text(0.07, 0.03, t("reliability.generated", at=generated), fontsize=7, color="#5b6773")
    return fig


def _table(fig: Any, box: list[float], title: str, header: list[str], rows: list[list[Any]],
           empty: str) -> None:
    ax = fig.add_axes(box)
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=11, weight="bold")
    if not rows:
        ax.text(0, 0.9, empty, fontsize=9, va="top")
        return
    table = ax.table(cellText=[[str(c) for c in row] for row in rows], colLabels=header,
                     loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.25)
