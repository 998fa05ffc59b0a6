"""`evfault analyze` against ocpp-lens (PyPI) on the same generated log, in the same run.

    python benchmarks/analyze_throughput.py [--frames 1000000] [--chargers 1000]

The log: one JSON object per line, `{"timestamp", "charger_id", "message"}` — ocpp-lens's
"wrapped object" format, which evfault reads too — from `--chargers` OCPP 1.6 chargers over
simulated days: boots, heartbeats, meter values, sessions (Preparing → Charging → Finishing →
Available) and faults (OCPP, EVgo and ChargeX codes) that clear, each CALL followed by its
CALLRESULT. Each tool runs in its own process; the figures are that process's user+system CPU
time and peak resident memory (os.wait4), so start-up and reading the file are included.
Throughput is frames per CPU second. The target: evfault ≥ 10× ocpp-lens's throughput at no
more than its peak memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

EVGO, CHARGEX = "com.evgo.mrec", "https://chargex.inl.gov"
FAULTS = [
    {"errorCode": "GroundFailure"},
    {"errorCode": "OverCurrentFailure"},
    {"errorCode": "OtherError", "vendorId": EVGO, "vendorErrorCode": "F001", "info": "1.11"},
    {"errorCode": "OtherError", "vendorId": EVGO, "vendorErrorCode": "F009", "info": "96"},
    {"errorCode": "OtherError", "vendorId": CHARGEX, "vendorErrorCode": "CX011"},
]
LENS = """
import sys
from ocpp_lens import OCPPAnalyzer, OCPPLogParser
result = OCPPAnalyzer().analyze(OCPPLogParser().parse_file(sys.argv[1]))
print(result.total_messages, result.total_faults, file=sys.stderr)
"""


def generate(path: Path, frames: int, chargers: int, seed: int = 7) -> int:
    """Write the log; returns the number of frames written (CALLs and CALLRESULTs)."""
    rng = random.Random(seed)
    start = datetime(2026, 7, 1, tzinfo=UTC)
    ids = [f"CP-{n:04d}" for n in range(chargers)]
    clock = {cid: start + timedelta(seconds=rng.uniform(0, 300)) for cid in ids}
    tx = 0  # one numbering for the fleet: ocpp-lens pairs transactions by id alone
    written = 0
    with path.open("wb") as out:
        def emit(cid: str, frame: list[object]) -> None:
            nonlocal written
            at = clock[cid].isoformat().replace("+00:00", "Z")
            out.write(orjson.dumps({"timestamp": at, "charger_id": cid, "message": frame}))
            out.write(b"\n")
            written += 1

        def call(cid: str, action: str, payload: dict[str, object], answer: dict[str, object]
                 ) -> None:
            mid = f"{written:x}"
            emit(cid, [2, mid, action, payload])
            clock[cid] += timedelta(milliseconds=40)
            emit(cid, [3, mid, answer])

        def status(cid: str, connector: int, state: str, **fields: object) -> None:
            payload = {"connectorId": connector, "status": state, "errorCode": "NoError",
                       "timestamp": clock[cid].isoformat().replace("+00:00", "Z"), **fields}
            call(cid, "StatusNotification", payload, {})

        for cid in ids:
            call(cid, "BootNotification", {"chargePointVendor": rng.choice(["Acme", "Bolt"]),
                                           "chargePointModel": "DC-150",
                                           "firmwareVersion": "1.2"},
                 {"status": "Accepted", "currentTime": "2026-07-01T00:00:00Z", "interval": 300})
            for connector in (1, 2):
                status(cid, connector, "Available")
        while written < frames:
            cid = rng.choice(ids)
            clock[cid] += timedelta(seconds=rng.uniform(30, 300))
            roll = rng.random()
            if roll < 0.55:
                call(cid, "Heartbeat", {}, {"currentTime": "2026-07-01T00:00:00Z"})
            elif roll < 0.85:
                call(cid, "MeterValues", {"connectorId": rng.choice((1, 2)), "meterValue": [{
                    "timestamp": clock[cid].isoformat().replace("+00:00", "Z"),
                    "sampledValue": [{"value": str(rng.randint(0, 90000)),
                                      "measurand": "Energy.Active.Import.Register",
                                      "unit": "Wh"}]}]}, {})
            elif roll < 0.97:
                connector = rng.choice((1, 2))
                tx += 1
                status(cid, connector, "Preparing")
                call(cid, "StartTransaction", {"connectorId": connector, "idTag": "TAG1",
                                               "meterStart": 0,
                                               "timestamp": "2026-07-01T00:00:00Z"},
                     {"transactionId": tx, "idTagInfo": {"status": "Accepted"}})
                status(cid, connector, "Charging")
                clock[cid] += timedelta(minutes=rng.uniform(10, 60))
                call(cid, "StopTransaction", {"transactionId": tx, "meterStop": 20000,
                                              "timestamp": "2026-07-01T00:00:00Z"}, {})
                status(cid, connector, "Finishing")
                status(cid, connector, "Available")
            else:
                connector = rng.choice((1, 2))
                status(cid, connector, "Faulted", **rng.choice(FAULTS))
                clock[cid] += timedelta(minutes=rng.uniform(1, 240))
                status(cid, connector, "Available")
    return written


def measure(argv: list[str]) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, peak RSS in kB) of one command run to its end."""
    began = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    err = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:4]} failed: {err[-500:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--chargers", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "fleet.jsonl"
        frames = generate(log, args.frames, args.chargers)
        size = log.stat().st_size / 1e6
        print(f"{datetime.now(UTC):%Y-%m-%d} · {platform.processor() or platform.machine()} · "
              f"{os.cpu_count()} cores · Python {platform.python_version()}")
        print(f"log: {frames:,} frames from {args.chargers:,} chargers, {size:,.0f} MB")
        runs = {
            "evfault analyze": [sys.executable, "-m", "evfault", "analyze", str(log), "--json"],
            "ocpp-lens": [sys.executable, "-c", LENS, str(log)],
        }
        results = {}
        for name, argv in runs.items():
            cpu, wall, rss = measure(argv)
            results[name] = (cpu, rss)
            print(f"{name:16} {cpu:8.1f} s CPU ({wall:6.1f} s wall)  {frames / cpu:10,.0f} "
                  f"frames/CPU-s  peak {rss / 1024:8,.0f} MB")
        ours, theirs = results["evfault analyze"], results["ocpp-lens"]
        ratio = (frames / ours[0]) / (frames / theirs[0])
        print(f"throughput ratio evfault/ocpp-lens: {ratio:.2f}× (target ≥ 10×); peak memory "
              f"ratio {ours[1] / theirs[1]:.2f} (target ≤ 1)")


if __name__ == "__main__":
    main()
