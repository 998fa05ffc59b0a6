"""How many codes does `evfault scan` read from photos of charger screens, and at what CPU cost?

    unshare -n .venv/bin/python benchmarks/scan_accuracy.py [--set test|heldout|both] [--json]

Reads every photo of the committed test set (tests/scan/images) and the held-out set made with
another seed and other fonts (tests/scan/images_heldout), and prints per photo: the codes on
it, the codes read, and the CPU seconds spent (this process, its threads and the programs it
ran, as `os.times` counts them: Tesseract is a separate program).
Then per engine: the share of codes recognised, the photos with a wrong code (on clean photos
separately), and CPU per photo. The engines measured side by side, when installed:

  - evfault's reader: rapidocr + the bundled PP-OCR models, with screen-finding and retries;
  - the same engine on the photo alone, no retries (the yardstick the retries must beat);
  - Tesseract (pytesseract and the tesseract binary), on the photo and on the evened screen.

Run it with the network cut (`unshare -n`): nothing may be downloaded at run time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before anything imports onnxruntime

from evfault.catalog import default_catalog
from evfault.catalog.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent
SETS = {"test": ROOT / "tests/scan/images", "heldout": ROOT / "tests/scan/images_heldout"}

Reader = Callable[[Catalog, bytes], list[str]]


@dataclass
class Tally:
    engine: str
    photos: int = 0
    codes: int = 0
    recognised: int = 0
    wrong_photos: list[str] = field(default_factory=list)
    wrong_clean: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.recognised / self.codes if self.codes else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine, "photos": self.photos, "codes": self.codes,
            "recognised": self.recognised, "share": round(self.share, 4),
            "wrong_photos": self.wrong_photos, "wrong_clean_photos": self.wrong_clean,
            "missed": self.missed,
            "cpu_s_mean": round(statistics.fmean(self.cpu), 3) if self.cpu else None,
            "cpu_s_max": round(max(self.cpu), 3) if self.cpu else None,
        }


def cpu_seconds() -> float:
    """CPU time of this process and of the programs it waited for (Tesseract)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def evfault_reader(catalog: Catalog, data: bytes) -> list[str]:
    from evfault.scan.reader import scan_photo

    return [c.entry.ref for c in scan_photo(catalog, data).codes]


def photo_only_reader(catalog: Catalog, data: bytes) -> list[str]:
    """The engine on the photo as taken: no screen-finding, no segment retry."""
    from evfault.catalog.screen import read_screen
    from evfault.scan import prepare
    from evfault.scan.engine import default_engine
    from evfault.scan.image import Limits, open_photo

    pixels = prepare.fit(prepare.to_rgb(open_photo(data, Limits())))
    lines = [line.text for line in default_engine().read(pixels)]
    return [e.ref for e in read_screen(catalog, lines).entries]


def tesseract_reader(evened: bool) -> Reader | None:
    if shutil.which("tesseract") is None:
        return None
    try:
        import pytesseract
    except ImportError:
        return None

    def read(catalog: Catalog, data: bytes) -> list[str]:
        from evfault.catalog.screen import read_screen
        from evfault.scan import prepare
        from evfault.scan.image import Limits, open_photo

        pixels = prepare.fit(prepare.to_rgb(open_photo(data, Limits())))
        if evened:
            screen = prepare.find_screen(pixels)
            pixels = prepare.even_light(prepare.fit(screen) if screen is not None else pixels)
        text = pytesseract.image_to_string(pixels)
        return [e.ref for e in read_screen(catalog, text).entries]

    return read


def engines() -> dict[str, Reader | None]:
    return {
        "evfault (rapidocr + retries)": evfault_reader,
        "rapidocr, photo only": photo_only_reader,
        "tesseract, photo": tesseract_reader(evened=False),
        "tesseract, evened screen": tesseract_reader(evened=True),
    }


def run(name: str, reader: Reader, folder: Path, catalog: Catalog, verbose: bool) -> Tally:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tally = Tally(name)
    for sample in manifest:
        data = (folder / sample["file"]).read_bytes()
        started = cpu_seconds()
        got = reader(catalog, data)
        spent = cpu_seconds() - started
        truth = sample["codes"]
        tally.photos += 1
        tally.codes += len(truth)
        tally.recognised += sum(code in got for code in truth)
        tally.missed += [f"{sample['file']}:{c}" for c in truth if c not in got]
        tally.cpu.append(spent)
        if any(code not in truth for code in got):
            tally.wrong_photos.append(sample["file"])
            if sample["clean"]:
                tally.wrong_clean.append(sample["file"])
        if verbose:
            defects = ",".join(sample["defects"]) or "-"
            print(f"  {sample['file']:16} {sample['display']:8} {defects:12} {spent:5.2f} s"
                  f"  on screen {','.join(truth):40} read {','.join(got) or '—'}")
    return tally


def measure(sets: list[str], only_evfault: bool = False, verbose: bool = True) -> dict[str, Any]:
    catalog = default_catalog()
    report: dict[str, Any] = {"machine": platform.machine(), "cpus": os.cpu_count(),
                              "python": platform.python_version(), "sets": {}}
    for set_name in sets:
        folder = SETS[set_name]
        results = []
        for name, reader in engines().items():
            if only_evfault and reader is not evfault_reader:
                continue
            if reader is None:
                results.append({"engine": name, "skipped": "not installed"})
                continue
            if verbose:
                print(f"{set_name} set, {name}:", flush=True)
            results.append(run(name, reader, folder, catalog, verbose).as_dict())
        report["sets"][set_name] = results
    return report


def print_summary(report: dict[str, Any]) -> None:
    print(f"\nmachine: {report['machine']}, {report['cpus']} CPUs, Python {report['python']}")
    for set_name, results in report["sets"].items():
        print(f"\n{set_name} set")
        print(f"  {'engine':30} {'codes read':>14} {'wrong photos':>13} {'wrong clean':>12}"
              f" {'CPU s/photo':>12} {'max':>6}")
        for r in results:
            if "skipped" in r:
                print(f"  {r['engine']:30} skipped: {r['skipped']}")
                continue
            read = f"{r['recognised']}/{r['codes']} {r['share']:.0%}"
            print(f"  {r['engine']:30} {read:>14} {len(r['wrong_photos']):>13}"
                  f" {len(r['wrong_clean_photos']):>12} {r['cpu_s_mean']:>12.2f}"
                  f" {r['cpu_s_max']:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["test", "heldout", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--only-evfault", action="store_true", help="skip the other engines")
    args = parser.parse_args()
    sets = ["test", "heldout"] if args.set == "both" else [args.set]
    report = measure(sets, args.only_evfault, verbose=not args.json)
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        print_summary(report)


if __name__ == "__main__":
    main()
