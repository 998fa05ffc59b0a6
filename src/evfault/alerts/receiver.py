"""A small webhook receiver as an alert's recipient would run one: it checks each POST's
signature and answers 200 to a good one, 401 to a bad one. Served by asyncio on 127.0.0.1.

`evfault demo` runs one so its alerts go from pending to sent; the alert tests use it as the
far end of a webhook.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from evfault.alerts.channels import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


@dataclass
class Delivery:
    body: dict[str, Any]
    headers: dict[str, str]
    signed: bool


@dataclass
class WebhookReceiver:
    """Checks each POST's signature like a real receiver; answers 401 to a bad one."""

    secret: str
    status: int = 200  # what it answers a good delivery with
    deliveries: list[Delivery] = field(default_factory=list)
    server: asyncio.Server | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self, port: int = 0) -> WebhookReceiver:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.close()

    def keys(self) -> list[str]:
        return [d.headers[IDEMPOTENCY_HEADER.lower()] for d in self.deliveries if d.signed]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            signed = verify_signature(self.secret, headers.get(TIMESTAMP_HEADER.lower(), ""),
                                      body, headers.get(SIGNATURE_HEADER.lower(), ""))
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = {}
            self.deliveries.append(Delivery(parsed if isinstance(parsed, dict) else {},
                                            headers, signed))
            status = self.status if signed else 401
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                         .encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                ConnectionError):
            pass  # a caller that hung up or sent no HTTP: nothing to answer
        finally:
            writer.close()
