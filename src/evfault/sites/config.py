"""Site files (`evfault serve --sites FILE`) and API bodies → `Site` values; errors in a sentence.

The format (docs/sites.md, DESIGN.md):

    sites:
      - id: depot
        fuse_limit_a: 63          # per phase
        phases: 3
        chargers:
          - {id: CP1, max_current_a: 32, fallback_current_a: 6}
        meter: {url: "modbus://127.0.0.1:5020", unit: 1, register: 0, scale: 0.1, fallback_a: 50}
        ems:   {url: "modbus://127.0.0.1:5021", unit: 1, register: 0, scale: 0.1, fallback_a: 100}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from evfault.sites.model import AC_MINIMUM_A, ChargerSpec, Site, SourceSpec

SITE_KEYS = {"id", "name", "fuse_limit_a", "phases", "chargers", "meter", "ems"}
CHARGER_KEYS = {"id", "max_current_a", "fallback_current_a", "min_current_a", "dc",
                "fallback_key"}
SOURCE_KEYS = {"url", "unit", "register", "scale", "fallback_a", "interval_s", "grace_s",
               "kind", "signed", "words"}


class SiteConfigError(ValueError):
    """A site description that cannot be used; the message says where and why."""


def _number(where: str, raw: Any, *, minimum: float = 0.0, integer: bool = False) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise SiteConfigError(f"{where} must be a number, not {raw!r}.")
    if integer and raw != int(raw):
        raise SiteConfigError(f"{where} must be a whole number, not {raw!r}.")
    if raw < minimum:
        raise SiteConfigError(f"{where} must be at least {minimum:g}, not {raw!r}.")
    return float(raw)


def _mapping(where: str, raw: Any, allowed: set[str], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SiteConfigError(f"{where} must be a mapping of keys to values.")
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        raise SiteConfigError(f"{where} has an unknown key {unknown[0]!r}; "
                              f"known keys: {', '.join(sorted(allowed))}.")
    missing = [k for k in required if k not in raw]
    if missing:
        raise SiteConfigError(f"{where} needs {missing[0]!r}.")
    return raw


def _text(where: str, raw: Any) -> str:
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).strip():
        raise SiteConfigError(f"{where} must be a non-empty text.")
    return str(raw).strip()


def charger_from(where: str, raw: Any) -> ChargerSpec:
    data = _mapping(where, raw, CHARGER_KEYS, ("id", "max_current_a"))
    fallback = data.get("fallback_current_a")
    dc = data.get("dc", False)
    if not isinstance(dc, bool):
        raise SiteConfigError(f"{where}.dc must be true or false.")
    key = data.get("fallback_key")
    return ChargerSpec(
        fallback_key=None if key is None else _text(f"{where}.fallback_key", key),
        id=_text(f"{where}.id", data["id"]),
        max_current_a=_number(f"{where}.max_current_a", data["max_current_a"]),
        fallback_current_a=None if fallback is None
        else _number(f"{where}.fallback_current_a", fallback),
        min_current_a=_number(f"{where}.min_current_a",
                              data.get("min_current_a", 0.0 if dc else AC_MINIMUM_A)),
        dc=dc,
    )


def source_from(where: str, raw: Any) -> SourceSpec:
    data = _mapping(where, raw, SOURCE_KEYS, ("url", "fallback_a"))
    url = _text(f"{where}.url", data["url"])
    host, _, port = url.partition("://")[2].rpartition(":")
    if not url.startswith("modbus://") or not host or not port.isdigit() or int(port) > 65535:
        raise SiteConfigError(f"{where}.url must look like modbus://HOST:PORT, not {url!r}.")
    kind = data.get("kind", "holding")
    if kind not in ("holding", "input"):
        raise SiteConfigError(f"{where}.kind must be holding or input, not {kind!r}.")
    words = int(_number(f"{where}.words", data.get("words", 1), minimum=1, integer=True))
    if words not in (1, 2):
        raise SiteConfigError(f"{where}.words must be 1 or 2, not {words}.")
    signed = data.get("signed", False)
    if not isinstance(signed, bool):
        raise SiteConfigError(f"{where}.signed must be true or false.")
    interval = _number(f"{where}.interval_s", data.get("interval_s", 5.0), minimum=0.05)
    return SourceSpec(
        url=url,
        register=int(_number(f"{where}.register", data.get("register", 0), integer=True)),
        unit=int(_number(f"{where}.unit", data.get("unit", 1), integer=True)),
        scale=_number(f"{where}.scale", data.get("scale", 1.0), minimum=-math.inf),
        fallback_a=_number(f"{where}.fallback_a", data["fallback_a"]),
        interval_s=interval,
        grace_s=_number(f"{where}.grace_s", data.get("grace_s", 3 * interval)),
        kind=kind, signed=signed, words=words,
    )


def site_from(where: str, raw: Any) -> Site:
    data = _mapping(where, raw, SITE_KEYS, ("id", "fuse_limit_a"))
    site_id = _text(f"{where}.id", data["id"])
    where = f"site {site_id!r}"
    chargers_raw = data.get("chargers") or []
    if not isinstance(chargers_raw, list):
        raise SiteConfigError(f"{where}: chargers must be a list.")
    chargers = tuple(charger_from(f"{where} charger {i + 1}", c)
                     for i, c in enumerate(chargers_raw))
    ids = [c.id for c in chargers]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice is not None:
        raise SiteConfigError(f"{where} lists charger {twice!r} twice.")
    phases = int(_number(f"{where}.phases", data.get("phases", 3), minimum=1, integer=True))
    if phases not in (1, 3):
        raise SiteConfigError(f"{where}.phases must be 1 or 3, not {phases}.")
    return Site(
        id=site_id, name=str(data.get("name") or ""), phases=phases,
        fuse_limit_a=_number(f"{where}.fuse_limit_a", data["fuse_limit_a"]),
        chargers=chargers,
        meter=None if data.get("meter") is None else source_from(f"{where}.meter", data["meter"]),
        ems=None if data.get("ems") is None else source_from(f"{where}.ems", data["ems"]),
    )


def sites_from(raw: Any) -> list[Site]:
    """All sites of a parsed site file; a charger may belong to one site only."""
    if not isinstance(raw, dict) or not isinstance(raw.get("sites"), list):
        raise SiteConfigError("a site file holds a list under 'sites:'.")
    sites = [site_from(f"site {i + 1}", s) for i, s in enumerate(raw["sites"])]
    site_ids: set[str] = set()
    owner: dict[str, str] = {}
    for site in sites:
        if site.id in site_ids:
            raise SiteConfigError(f"site {site.id!r} is listed twice.")
        site_ids.add(site.id)
        for charger in site.chargers:
            if charger.id in owner:
                raise SiteConfigError(f"charger {charger.id!r} is in sites {owner[charger.id]!r} "
                                      f"and {site.id!r}; a charger belongs to one site.")
            owner[charger.id] = site.id
    return sites


def load_sites(path: str | Path) -> list[Site]:
    """Read a site file; every problem is one sentence naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteConfigError(f"cannot read the site file {path} "
                              f"({exc.strerror or exc}).") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise SiteConfigError(f"the site file {path} is not valid YAML{line}.") from None
    try:
        return sites_from(raw)
    except SiteConfigError as exc:
        raise SiteConfigError(f"{path}: {exc}") from None


def site_to_dict(site: Site) -> dict[str, Any]:
    """The site file's shape of one site (what the API answers and stores)."""
    out: dict[str, Any] = {"id": site.id, "name": site.name, "fuse_limit_a": site.fuse_limit_a,
                           "phases": site.phases, "chargers": [
                               {"id": c.id, "max_current_a": c.max_current_a,
                                "fallback_current_a": c.fallback_current_a,
                                "min_current_a": c.min_current_a, "dc": c.dc,
                                "fallback_key": c.fallback_key}
                               for c in site.chargers]}
    for name in ("meter", "ems"):
        source = getattr(site, name)
        out[name] = None if source is None else {
            "url": source.url, "unit": source.unit, "register": source.register,
            "scale": source.scale, "fallback_a": source.fallback_a,
            "interval_s": source.interval_s, "grace_s": source.grace_s, "kind": source.kind,
            "signed": source.signed, "words": source.words}
    return out
