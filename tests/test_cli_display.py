"""`evfault codes --display --lang L --json`: the screen texts firmware shows, per language;
and `evfault explain --lang` speaking the language it was asked for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from evfault.catalog import Catalog, default_catalog
from evfault.catalog.loader import data_files, load_all
from evfault.cli import catalog_cmds
from test_cli_catalog import one_line_error, run, run_json

EVGO_CODES = {f"F{n:03d}" for n in range(11)} | {f"A{n:03d}" for n in range(6)}


@pytest.mark.parametrize("lang", ["de", "de-AT", "DE_ch"])
def test_display_texts_in_german_for_every_mrec_code(lang: str) -> None:
    data = run_json("codes", "--display", "--lang", lang)
    assert data["lang"] == "de"
    rows = {row["code"]: row for row in data["codes"]}
    assert set(rows) == EVGO_CODES  # every code a standard sets a display requirement for
    assert all(row["lang"] == "de" for row in rows.values())
    assert rows["F005"]["display_text"] == (
        "Ladefehler. Der Betreiber wurde benachrichtigt. Code für den Kundenservice - F005."
    )
    assert rows["A004"]["display_requirement"].startswith("Zeigen, wie der Not-Aus-Schalter")
    assert all(len(row["display_text"]) <= 200 for row in rows.values())


def test_display_texts_in_english_match_the_catalog() -> None:
    rows = run_json("codes", "--display", "--lang", "en", "--scheme", "evgo-mrec")["codes"]
    f001 = default_catalog().get("evgo-mrec", "F001")
    assert f001 is not None
    assert next(r for r in rows if r["code"] == "F001")["display_text"] == f001.text().display_text


def test_display_as_a_table_for_people() -> None:
    result = run("codes", "--display", "--lang", "de")
    assert result.exit_code == 0
    words = " ".join(result.stdout.split())
    assert "Der Betreiber wurde benachrichtigt" in words and "A003" in words


def test_display_in_a_language_without_texts_is_refused() -> None:
    result = run("codes", "--display", "--lang", "sv", "--json")
    assert result.exit_code != 0
    assert "no texts in 'sv'" in one_line_error(result)


def test_a_screen_text_not_translated_yet_is_marked_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Firmware must see which texts are still English, not ship them as French."""
    folder = tmp_path / "data"
    shutil.copytree(data_files()[0].parent, folder)
    french = {"lang": "fr", "scheme": "evgo-mrec",
              "entries": {"F001": {"display_text": "Charge arrêtée. Code F001."}}}
    # The bundled French is complete; replace it with a translation that has just one text.
    shutil.rmtree(folder / "text" / "fr", ignore_errors=True)
    (folder / "text" / "fr").mkdir()
    (folder / "text" / "fr" / "evgo_mrec.yaml").write_text(
        yaml.safe_dump(french, allow_unicode=True), encoding="utf-8")
    catalog = Catalog(*load_all(sorted(folder.glob("*.yaml"))))
    monkeypatch.setattr(catalog_cmds, "catalog", lambda: catalog)
    rows = {r["code"]: r for r in run_json("codes", "--display", "--lang", "fr-BE")["codes"]}
    assert rows["F001"]["lang"] == "fr"
    assert rows["F001"]["display_text"] == "Charge arrêtée. Code F001."
    assert rows["F002"]["lang"] == "en"
    assert rows["F002"]["display_text"].startswith("Charging stopped.")


def test_explain_speaks_german_headings_and_texts() -> None:
    result = run("explain", "evgo-mrec:F001", "--lang", "de")
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    for german in ("Proximity-Spannung zu niedrig", "Sehen Sie das gerade an der Ladesäule?",
                   "Was Sie danach tun können", "Für den Betreiber", "Ladebuchse"):
        assert german in out, german
    assert "no 'de' text" not in out
