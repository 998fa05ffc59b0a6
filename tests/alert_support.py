"""Receivers for alert tests: a real aiosmtpd SMTP server and a small HTTP webhook receiver,
both on port 0 in the test's event loop."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from evfault.alerts.channels import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[Message] = []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.mails.append(message_from_bytes(content))
        self.arrived.set()
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    inbox: _Inbox
    server: asyncio.Server

    @property
    def mails(self) -> list[Message]:
        return self.inbox.mails

    def close(self) -> None:
        self.server.close()


async def smtp_server() -> SmtpServer:
    """aiosmtpd's SMTP protocol served by asyncio on 127.0.0.1, port 0."""
    inbox = _Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox, hostname="localhost"),
                                      "127.0.0.1", 0)
    return SmtpServer(server.sockets[0].getsockname()[1], inbox, server)


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
            self.deliveries.append(Delivery(json.loads(body), headers, signed))
            status = self.status if signed else 401
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                         .encode())
            await writer.drain()
        finally:
            writer.close()
