"""Site files: the DESIGN.md example loads; every mistake is one sentence naming where."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evfault.sites.config import SiteConfigError, load_sites, site_to_dict, sites_from
from evfault.sites.model import AC_MINIMUM_A

SRC = str(Path(__file__).resolve().parent.parent / "src")

DESIGN_EXAMPLE = """
sites:
  - id: depot
    fuse_limit_a: 63          # per phase
    phases: 3
    chargers:
      - {id: CP1, max_current_a: 32, fallback_current_a: 6}
    meter: {url: "modbus://127.0.0.1:5020", unit: 1, register: 0, scale: 0.1, fallback_a: 50}
    ems:   {url: "modbus://127.0.0.1:5021", unit: 1, register: 0, scale: 0.1, fallback_a: 100}
"""


def test_the_design_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(DESIGN_EXAMPLE)
    (site,) = load_sites(path)
    assert (site.id, site.fuse_limit_a, site.phases) == ("depot", 63, 3)
    (charger,) = site.chargers
    assert (charger.max_current_a, charger.fallback_current_a, charger.min_current_a) == (
        32, 6, AC_MINIMUM_A)
    assert site.meter is not None and site.ems is not None
    assert (site.meter.host, site.meter.port, site.meter.scale, site.meter.fallback_a) == (
        "127.0.0.1", 5020, 0.1, 50)
    assert (site.ems.port, site.ems.fallback_a) == (5021, 100)


def test_a_site_round_trips_through_its_dict() -> None:
    import yaml

    (site,) = sites_from(yaml.safe_load(DESIGN_EXAMPLE))
    assert sites_from({"sites": [site_to_dict(site)]}) == [site]


def test_a_charger_without_fallback_keeps_none() -> None:
    (site,) = sites_from({"sites": [{"id": "s", "fuse_limit_a": 40, "chargers": [
        {"id": "A", "max_current_a": 16}, {"id": "D", "max_current_a": 100, "dc": True}]}]})
    assert site.chargers[0].fallback_current_a is None
    assert site.chargers[1].min_current_a == 0


@pytest.mark.parametrize(("raw", "says"), [
    ({}, "a list under 'sites:'"),
    ({"sites": [{"id": "s"}]}, "needs 'fuse_limit_a'"),
    ({"sites": [{"id": "s", "fuse_limit_a": "lots"}]}, "fuse_limit_a must be a number"),
    ({"sites": [{"id": "s", "fuse_limit_a": -1}]}, "at least 0"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "fuse": 1}]}, "unknown key 'fuse'"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "phases": 2}]}, "phases must be 1 or 3"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "chargers": [{"id": "A"}]}]},
     "charger 1 needs 'max_current_a'"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "chargers": [
        {"id": "A", "max_current_a": 16}, {"id": "A", "max_current_a": 16}]}]},
     "lists charger 'A' twice"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "chargers": [{"id": "A", "max_current_a": 9}]},
                {"id": "t", "fuse_limit_a": 63, "chargers": [{"id": "A", "max_current_a": 9}]}]},
     "a charger belongs to one site"),
    ({"sites": [{"id": "s", "fuse_limit_a": 1}, {"id": "s", "fuse_limit_a": 2}]},
     "listed twice"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "meter": {"url": "tcp://x:1", "fallback_a": 5}}]},
     "modbus://HOST:PORT"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63, "meter": {"url": "modbus://x:502"}}]},
     "needs 'fallback_a'"),
    ({"sites": [{"id": "s", "fuse_limit_a": 63,
                 "ems": {"url": "modbus://x:502", "fallback_a": 5, "words": 3}}]},
     "words must be 1 or 2"),
])
def test_mistakes_are_one_sentence(raw: object, says: str) -> None:
    with pytest.raises(SiteConfigError) as caught:
        sites_from(raw)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_serve_with_a_broken_site_file_says_so_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n  - id: depot\n    fuse_limit_a: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "evfault", "serve", "--sites", str(path), "--port", "0",
         "--db", f"sqlite:///{tmp_path / 'e.db'}"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": SRC})
    assert result.returncode == 2
    assert "is not valid YAML at line" in result.stderr
    assert "Traceback" not in result.stderr
