"""A batch whose write() returned survives the process being killed the next instant."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

from evfault.store.sql import open_store

CHILD = textwrap.dedent("""
    import asyncio, sys
    from datetime import UTC, datetime
    from evfault.store.model import MessageRow, WriteBatch
    from evfault.store.sql import open_store

    async def writer(store, task):
        for n in range(10**6):
            raw = f"{task}-{n}"
            row = MessageRow("CP1", "in", datetime.now(UTC), raw)
            await store.write(WriteBatch(messages=[row]))
            print(raw, flush=True)  # acknowledged: the server would answer the charger now

    async def main():
        store = open_store(sys.argv[1])
        await store.start()
        await asyncio.gather(*(writer(store, t) for t in range(20)))

    asyncio.run(main())
""")


def acknowledged_before_sigkill(db_url: str, count: int) -> list[str]:
    """Run the writing child until it has acknowledged `count` writes, then SIGKILL it."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url], stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert child.stdout is not None
    acknowledged = []
    for line in child.stdout:
        acknowledged.append(line.strip())
        if len(acknowledged) == count:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    return acknowledged


async def test_acknowledged_writes_survive_sigkill(db_url: str) -> None:
    acknowledged = await asyncio.to_thread(acknowledged_before_sigkill, db_url, 300)
    assert len(acknowledged) == 300
    async with open_store(db_url) as store:
        stored = {m.raw for m in await store.messages("CP1", limit=100_000)}
    assert set(acknowledged) <= stored
