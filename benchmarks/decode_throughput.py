"""How fast does evfault decode StatusNotification frames, next to plain `json.loads`?

    .venv/bin/python benchmarks/decode_throughput.py [--frames N] [--seed S] [--keep FILE]

Writes N OCPP-J StatusNotification frames (one per line) to a temporary file — a mix of status
changes with NoError, plain OCPP errors, EVgo MREC single and compound codes with readings,
ChargeX codes and their "resolved" clears, and codes from an unknown vendor — then reads the file
twice on one core: (a) `json.loads` of every line, the yardstick; (b) the full decode of every
line (`Decoder.decode_text`: find the JSON, parse it, look the codes up, pair readings, parse
timestamps, build the frozen results). Prints frames per second for both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from evfault.decode import Decoder

EVGO = "com.evgo.mrec"
CHARGEX = "https://chargex.inl.gov"
STATUSES = ("Available", "Preparing", "Charging", "SuspendedEV", "Finishing")
PLAIN_ERRORS = ("GroundFailure", "HighTemperature", "OverCurrentFailure", "PowerMeterFailure")
# EVgo codes with the range their reading plausibly falls in (None: no reading).
EVGO_CODES: dict[str, tuple[float, float] | None] = {
    "F000": (1.83, 2.6),
    "F001": (0.5, 1.22),
    "F002": (6.54, 9.0),
    "F003": (3.0, 5.46),
    "F004": None,
    "F005": None,
    "F006": (5.0, 99.0),
    "F007": (5.1, 20.0),
    "F008": (61.0, 400.0),
    "F009": (90.0, 120.0),
    "F010": None,
    "A000": None,
    "A001": None,
    "A002": None,
    "A003": None,
    "A005": None,
}
CHARGEX_CODES = ("CX002", "CX006", "CX011", "CX014", "CX019", "CX023")


def frames(count: int, rng: random.Random) -> Iterator[str]:
    """`count` StatusNotification frames in a realistic proportion of kinds."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    makers: list[tuple[float, Callable[[random.Random], dict[str, object]]]] = [
        (0.45, _no_error),
        (0.12, _plain_error),
        (0.15, _evgo_single),
        (0.06, _evgo_compound),
        (0.10, _chargex),
        (0.07, _chargex_resolved),
        (0.05, _unknown_vendor),
    ]
    weights = [w for w, _ in makers]
    chosen = rng.choices([m for _, m in makers], weights, k=count)
    for n, make in enumerate(chosen):
        payload = make(rng)
        payload["connectorId"] = rng.choice((0, 1, 1, 2))
        stamp = start + timedelta(seconds=n * 3, milliseconds=rng.randrange(1000))
        payload["timestamp"] = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        yield json.dumps([2, f"{n:x}", "StatusNotification", payload], separators=(",", ":"))


def _no_error(rng: random.Random) -> dict[str, object]:
    return {"errorCode": "NoError", "status": rng.choice(STATUSES)}


def _plain_error(rng: random.Random) -> dict[str, object]:
    return {"errorCode": rng.choice(PLAIN_ERRORS), "status": "Faulted", "info": "see log"}


def _reading(rng: random.Random, code: str) -> str:
    span = EVGO_CODES[code]
    return "" if span is None else f"{rng.uniform(*span):.2f}"


def _evgo(codes: list[str], rng: random.Random) -> dict[str, object]:
    return {
        "errorCode": "OtherError",
        "status": "Finishing" if codes[0] < "F004" else "Faulted",
        "vendorId": EVGO,
        "vendorErrorCode": ",".join(codes),
        "info": ",".join(_reading(rng, c) for c in codes),
    }


def _evgo_single(rng: random.Random) -> dict[str, object]:
    return _evgo([rng.choice(list(EVGO_CODES))], rng)


def _evgo_compound(rng: random.Random) -> dict[str, object]:
    return _evgo(sorted(rng.sample(list(EVGO_CODES)[:11], rng.choice((2, 2, 3)))), rng)


def _chargex(rng: random.Random) -> dict[str, object]:
    code = rng.choice(CHARGEX_CODES)
    info = {"CX006": f"{rng.uniform(0, 180):.0f}", "CX019": f"{rng.uniform(90, 120):.0f}"}
    error_code = {"CX002": "GroundFailure", "CX006": "UnderVoltage"}.get(code, "OtherError")
    return {
        "errorCode": error_code,
        "status": "Faulted",
        "vendorId": CHARGEX,
        "vendorErrorCode": code,
        "info": info.get(code, ""),
    }


def _chargex_resolved(rng: random.Random) -> dict[str, object]:
    code = rng.choice(CHARGEX_CODES)
    return {
        "errorCode": rng.choice(("NoError", "OtherError")),
        "status": "Available",
        "vendorId": CHARGEX,
        "vendorErrorCode": code,
        "info": f"Error {code} resolved",
    }


def _unknown_vendor(rng: random.Random) -> dict[str, object]:
    return {
        "errorCode": "OtherError",
        "status": "Faulted",
        "vendorId": "com.example.charger",
        "vendorErrorCode": str(rng.randrange(100, 400)),
        "info": "Modbus link lost",
    }


def timed(path: Path, handle: Callable[[str], object]) -> tuple[float, float, int]:
    """CPU seconds and wall seconds to read `path` and hand every line to `handle`, and the
    line count. CPU time is what one core spends, whatever else the machine is doing."""
    count = 0
    with path.open(encoding="utf-8") as lines:
        cpu, wall = time.process_time(), time.perf_counter()
        for line in lines:
            handle(line)
            count += 1
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu, wall, count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=1_000_000, help="frames to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the mix")
    parser.add_argument("--keep", type=Path, help="write the frames here and keep the file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "frames.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for frame in frames(args.frames, random.Random(args.seed)):
                out.write(frame + "\n")
        size = os.path.getsize(path)
        decoder = Decoder()  # built (catalog loaded) before the clock starts; cache starts cold
        json_cpu, json_wall, count = timed(path, json.loads)
        decode_cpu, decode_wall, _ = timed(path, decoder.decode_text)
        misses = decoder.interpreter.cached.cache_info().misses  # type: ignore[attr-defined]

    print(
        f"machine    {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
        f"Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        f"input      {count:,} StatusNotification frames, {size / 1e6:.1f} MB, "
        f"{misses / count:.1%} with error fields not seen before"
    )
    print("           frames/s per CPU second (wall-clock in brackets)")
    print(f"json.loads {count / json_cpu:12,.0f}  ({count / json_wall:,.0f})")
    print(f"decode     {count / decode_cpu:12,.0f}  ({count / decode_wall:,.0f})")
    print(f"ratio      decode takes {decode_cpu / json_cpu:.2f}x the CPU time of json.loads")


if __name__ == "__main__":
    main()
