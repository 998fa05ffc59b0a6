"""`evfault scan IMAGE`, run as a driver or a script would, with the network cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

IMAGES = Path(__file__).resolve().parent / "images"


def evfault(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evfault", *args], capture_output=True, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_scan_explains_the_code_in_the_screens_language() -> None:
    run = evfault("scan", str(IMAGES / "screen_001.jpg"), "--json")  # "Fehler CX006"
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["status"] == "found"
    assert [c["ref"] for c in answer["codes"]] == ["chargex-mrec:CX006"]
    assert answer["codes"][0]["confidence"] > 0.8
    assert answer["screen_lang"] == "de" and answer["lang"] == "de"
    assert "Traceback" not in run.stderr


def test_scan_for_people_prints_the_meaning_and_what_to_do() -> None:
    run = evfault("scan", str(IMAGES / "screen_001.jpg"), "--lang", "en")
    assert run.returncode == 0, run.stderr
    assert "CX006" in run.stdout and "Voltage to the car too low" in run.stdout
    assert "1. " in run.stdout  # the first step for the driver


def test_a_photo_without_a_code_says_so_with_tips(tmp_path: Path) -> None:
    blank = tmp_path / "wall.jpg"
    Image.new("RGB", (640, 480), (120, 130, 140)).save(blank)
    run = evfault("scan", str(blank), "--json")
    assert run.returncode == 1
    answer = json.loads(run.stdout)
    assert answer["status"] == "unreadable" and answer["codes"] == []
    assert any("reflections" in tip for tip in answer["tips"])


def test_not_a_photo_is_one_sentence(tmp_path: Path) -> None:
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture")
    run = evfault("scan", str(notes))
    assert run.returncode != 0
    assert run.stderr.strip().count("\n") == 0 and "Traceback" not in run.stderr
    assert "not a photo" in run.stderr
    missing = evfault("scan", str(tmp_path / "nowhere.jpg"))
    assert missing.returncode != 0 and "Cannot read" in missing.stderr
