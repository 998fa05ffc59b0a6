"""The API agrees with its OpenAPI document: schemathesis, for a fixed budget, against the real
server on port 0 with a logged-in admin (Bearer token), every operation — registry, audit and
refused connections included (the endless event stream aside: its own tests read it). No server
error, no answer the document does not describe."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from accounts import api_token
from evfault.server import Server
from evfault.settings import Settings
from server_support import FAST

pytestmark = pytest.mark.slow

ST = Path(sys.executable).parent / "st"
# Server errors and every kind of disagreement between an answer and the document.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")
BUDGET = 6  # examples per operation and phase: a CI run of well under a minute
SEED = 20261129  # the same cases on every run: a failure is reproducible


async def test_every_answer_is_one_the_openapi_document_describes(
        sqlite_url: str, tmp_path: Path) -> None:
    server = Server(Settings(**{"db": sqlite_url, **FAST}))
    await server.start()
    try:
        token = await api_token(server, "admin")
        done = await run_schemathesis(server, token, tmp_path)
    finally:
        await server.stop()
    code, output = done
    assert code == 0, output[-6000:]
    tally = re.search(r"(\d+) generated, (\d+) passed", output)
    assert tally is not None and tally[1] == tally[2] and int(tally[1]) >= 100, output[-3000:]
    assert "Network Error" not in output and "failure" not in output.lower(), output[-3000:]


async def run_schemathesis(server: Any, token: str, folder: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(ST), "run", f"{server.address.http}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", "examples,fuzzing",
        "--max-examples", str(BUDGET),
        "--seed", str(SEED),
        "--request-timeout", "60",  # a photo's first OCR warms the model up
        # An endless stream has no answer to wait for; tests/test_web_api.py reads it.
        "--exclude-path", "/api/v1/events",
        "--no-color",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=folder,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode("utf-8", "replace")
