"""Server memory per idle charger connection: evfault on its own transport and on its former one.

    .venv/bin/python benchmarks/idle_memory.py [--connections 2000 10000]

For each server (its own process, SQLite) and each count N, the load generator (this process)
first connects 100 chargers as a warm-up, reads the server's RSS, then connects N more chargers
that each send a BootNotification, wait for its answer and fall silent; after a pause the RSS is
read again. Memory per connection = RSS difference / N. Target: at most 16 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from lean_client import Charger, connect
from server_load import HERE, Target, evfault_target, raised_fd_limit

BOOT = b'[2,"boot","BootNotification",{"chargePointVendor":"bench","chargePointModel":"idle"}]'
WARM_UP = 100


async def connect_idle(url: str, prefix: str, n: int) -> list[Charger]:
    """n chargers, each booted and answered, then silent (kept open by the caller)."""
    gate = asyncio.Semaphore(200)  # connects in flight at once: a brisk ramp, not a storm
    loop = asyncio.get_running_loop()

    async def one(i: int) -> Charger:
        answered = loop.create_future()

        def on_answer(_link: Charger, _answer: bytes) -> None:
            if not answered.done():
                answered.set_result(None)

        async with gate:
            link = await connect(f"{url}/{prefix}{i:05d}", "ocpp1.6", on_answer)
            link.send_text(BOOT)
            await asyncio.wait_for(answered, 120)
        return link

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def per_connection(target: Target, n: int) -> tuple[float, int, int]:
    """(KiB per connection, RSS before, RSS after) for n idle chargers."""
    target.start()
    links: list[Charger] = []
    try:
        links += await connect_idle(target.url, "WARM-", WARM_UP)
        await asyncio.sleep(2.0)
        before = target.rss_kib()
        links += await connect_idle(target.url, "IDLE-", n)
        await asyncio.sleep(3.0)  # let every boot's commit and log settle
        after = target.rss_kib()
    finally:
        for link in links:
            link.close()
        target.stop()
    return (after - before) / n, before, after


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[2000, 10_000])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        async with raised_fd_limit():
            for n in args.connections:
                for name in ("evfault.net", "former uvicorn"):
                    db = f"sqlite:///{Path(tmp) / f'{name[:6]}-{n}.db'}"
                    if name == "evfault.net":
                        target = evfault_target("evfault on evfault.net", db)
                    else:
                        target = Target("evfault on uvicorn (former)", [
                            sys.executable, str(HERE / "baselines" / "uvicorn_evfault.py"), "0",
                            db], db)
                    kib, before, after = await per_connection(target, n)
                    print(f"{n:6d} idle chargers, {target.name:28}: {before / 1024:6.1f} -> "
                          f"{after / 1024:6.1f} MiB = {kib:5.1f} KiB per connection "
                          f"({kib * 1.024:.1f} KB; target <= 16 KB)", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
