"""How soon does a driver's open /c/{id} page show a fault, and its clear?

    .venv/bin/python benchmarks/driver_page_live.py [--rounds 20]

A real evfault server (SQLite, port 0), an OCPP 1.6 charger (the `ocpp` package's
ChargePoint) and the page open in Debian's headless Chromium at 390 px. Each round sends
GroundFailure/Faulted, waits until the page shows the error, then sends NoError/Available and
waits until it is gone. The time runs from the charger's call to the change in the page's DOM
(the CALLRESULT comes back first, so the store has committed by then). The promise: within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the test suite's charger helpers

from playwright.async_api import async_playwright  # noqa: E402

from chargers import boot16, charger16, send_status16  # noqa: E402
from evfault.server import Server  # noqa: E402
from evfault.settings import Settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ERROR = '.driver-error[data-code="GroundFailure"]'


async def rounds(count: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(db=f"sqlite:///{folder}/bench.db", port=0, log_level="warning",
                            unknown_chargers="accept")
        server = Server(settings)
        await server.start()
        try:
            return await _measure(server, count)
        finally:
            await server.stop()


async def _measure(server: Server, count: int) -> tuple[list[float], list[float]]:
    shown: list[float] = []
    gone: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM,
                                           args=["--headless", "--no-sandbox"])
        async with charger16(server.address.ocpp, "BENCH-1") as cp:
            await boot16(cp)
            await send_status16(cp, status="Available")
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(f"{server.address.http}/c/BENCH-1")
            await page.wait_for_selector('#charger-live[data-state="live"]')
            for _ in range(count):
                start = time.perf_counter()
                await send_status16(cp, errorCode="GroundFailure", status="Faulted")
                await page.wait_for_selector(ERROR, timeout=10_000)
                shown.append(time.perf_counter() - start)
                start = time.perf_counter()
                await send_status16(cp, status="Available")
                await page.wait_for_selector(ERROR, state="detached", timeout=10_000)
                gone.append(time.perf_counter() - start)
        await browser.close()
    return shown, gone


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"{name:<14} median {statistics.median(ms):6.0f} ms   p95 {p95:6.0f} ms   "
            f"max {ms[-1]:6.0f} ms   (target: 2000 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    shown, gone = asyncio.run(rounds(args.rounds))
    print(f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}, {args.rounds} rounds")
    print(summary("fault shown", shown))
    print(summary("clear shown", gone))


if __name__ == "__main__":
    main()
