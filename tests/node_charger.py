"""A second OCPP implementation for the tests: ocpp-rpc (Node) in strict mode, via tests/node.

`make test` installs it (npm ci --prefix tests/node). Each charger runs as its own Node process
driven by a JSON script; its calls' results and the server's calls it answered come back as
JSON lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"


def require_node() -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed; the ocpp-rpc interoperability tests need it")
    if not (NODE_DIR / "node_modules" / "ocpp-rpc").is_dir():
        pytest.fail("tests/node has no node_modules: run `npm ci --prefix tests/node` "
                    "(make test does)")


class NodeCharger:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.results: list[dict[str, Any]] = []
        self.handled: list[dict[str, Any]] = []

    async def _line(self) -> dict[str, Any] | str:
        assert self.process.stdout is not None
        raw = await self.process.stdout.readline()
        if not raw:
            assert self.process.stderr is not None
            err = (await self.process.stderr.read()).decode()
            raise AssertionError(f"the ocpp-rpc charger ended early: {err.strip()[:500]}")
        text = raw.decode().strip()
        return text if text == "READY" else json.loads(text)

    async def run_calls(self) -> list[dict[str, Any]]:
        """Every call of the script, in order, with the server's answer or the error."""
        async with asyncio.timeout(120):
            while (line := await self._line()) != "READY":
                assert isinstance(line, dict)
                if "connect" in line or "fatal" in line:
                    raise AssertionError(f"the ocpp-rpc charger failed: {line}")
                self.results.append(line)
        return self.results

    async def next_handled(self) -> dict[str, Any]:
        """The next call the server made to this charger (and that it answered)."""
        async with asyncio.timeout(120):
            line = await self._line()
        assert isinstance(line, dict) and "handled" in line, line
        self.handled.append(line)
        return line


@contextlib.asynccontextmanager
async def node_charger(tmp_path: Path, endpoint: str, identity: str, protocol: str,
                       calls: list[list[Any]], answers: dict[str, Any] | None = None,
                       password: str | None = None) -> AsyncIterator[NodeCharger]:
    require_node()
    script = tmp_path / f"{identity}.json"
    script.write_text(json.dumps({"endpoint": endpoint, "identity": identity,
                                  "protocol": protocol, "password": password, "calls": calls,
                                  "answers": answers or {}}))
    process = await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "charger.js"), str(script), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        yield NodeCharger(process)
    finally:
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()
        try:
            async with asyncio.timeout(30):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
