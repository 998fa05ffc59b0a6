"""Receivers for alert tests: a real aiosmtpd SMTP server and a small HTTP webhook receiver
(evfault.alerts.receiver, the one `evfault demo` runs), both on port 0 in the test's loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from aiosmtpd.smtp import SMTP, Envelope, Session

from evfault.alerts.receiver import Delivery, WebhookReceiver

__all__ = ["Delivery", "SmtpServer", "WebhookReceiver", "smtp_server"]


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
