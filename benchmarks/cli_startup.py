"""CPU seconds a command costs from start to exit, against `python -c pass` in the same run.

Commands that need no server or database should stay near the interpreter's own start-up:
the CLI imports only the module of the command being run (evfault/cli/__init__.py), and
OCR, SQLAlchemy, Alembic and the web stack only where a command needs them.

    python benchmarks/cli_startup.py [--runs 5]

Prints the median user+system CPU of each command over the runs (children's rusage).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
from datetime import UTC, datetime

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("-c", "pass"),
    ("-m", "evfault", "--version"),
    ("-m", "evfault", "--help"),
    ("-m", "evfault", "explain", "F001"),
    ("-m", "evfault", "codes", "--scheme", "evgo-mrec"),
    ("-m", "evfault", "decode", "-"),
    ("-m", "evfault", "serve", "--help"),
)
FRAME = b'[2,"1","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure",' \
        b'"status":"Faulted"}]\n'


def cpu_of(args: tuple[str, ...]) -> float:
    """User+system CPU seconds of one run of `python *args`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], input=FRAME, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · median of {runs} runs")
    base = 0.0
    for args in COMMANDS:
        median = statistics.median(cpu_of(args) for _ in range(runs))
        base = base or median
        label = "python " + " ".join(args)
        print(f"  {label:<48} {median:6.3f} s CPU   (+{median - base:.3f} s over pass)")


if __name__ == "__main__":
    main()
