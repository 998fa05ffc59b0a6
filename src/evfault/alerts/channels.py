"""The two ways an alert leaves evfault: e-mail over SMTP, and a signed webhook.

A webhook is a POST of the message's JSON with these headers:

    Content-Type: application/json
    Idempotency-Key: <the message's id; the same on every retry>
    X-Evfault-Timestamp: <Unix seconds when this attempt was signed>
    X-Evfault-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body, keyed with
                         the webhook_secret setting>

A receiver recomputes the HMAC (see `verify_signature`), rejects old timestamps, and ignores
an Idempotency-Key it has seen: a retry after a crash may repeat a delivery it already got.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import httpx

SIGNATURE_HEADER = "X-Evfault-Signature"
TIMESTAMP_HEADER = "X-Evfault-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SMTP_TIMEOUT_S = 30.0
WEBHOOK_TIMEOUT_S = 10.0


class DeliveryError(Exception):
    """One attempt failed; `permanent`: retrying cannot help (e.g. the receiver said 400)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# ---- e-mail ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Smtp:
    """Where and how to hand e-mail over (from the smtp_* settings)."""

    host: str
    port: int = 25
    sender: str = "evfault@localhost"
    user: str = ""
    password: str = ""
    tls: str = "auto"  # auto (STARTTLS when offered) | starttls | tls | none


def email_message(smtp: Smtp, to: tuple[str, ...], subject: str, text: str, key: str
                  ) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    # The same message always has the same Message-ID: a mail system can drop a repeat.
    domain = smtp.sender.rpartition("@")[2] or "evfault"
    message["Message-ID"] = make_msgid(idstring=key, domain=domain)
    message["X-Evfault-Message"] = key
    message.set_content(text)
    return message


async def send_email(smtp: Smtp, message: EmailMessage) -> None:
    if not smtp.host:
        raise DeliveryError("No SMTP server is set: give --smtp-host (EVFAULT_SMTP_HOST).")
    try:
        await aiosmtplib.send(
            message, hostname=smtp.host, port=smtp.port,
            username=smtp.user or None, password=smtp.password or None,
            use_tls=smtp.tls == "tls",
            start_tls={"auto": None, "starttls": True}.get(smtp.tls, False),
            timeout=SMTP_TIMEOUT_S,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the SMTP server refused the recipients: {exc}", True) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {exc or type(exc).__name__}"
                            ) from None


# ---- webhooks --------------------------------------------------------------------------------


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str,
                     tolerance_s: float = 300.0, now: float | None = None) -> bool:
    """What a receiver checks: the HMAC matches and the timestamp is recent."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(signature(secret, timestamp, body), header)


async def send_webhook(client: httpx.AsyncClient, url: str, body: bytes, secret: str, key: str
                       ) -> None:
    if not secret:
        raise DeliveryError("No webhook secret is set: give --webhook-secret "
                            "(EVFAULT_WEBHOOK_SECRET) so receivers can check the signature.")
    timestamp = str(int(time.time()))
    headers = {"content-type": "application/json", IDEMPOTENCY_HEADER: key,
               TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}
    try:
        response = await client.post(url, content=body, headers=headers,
                                     timeout=WEBHOOK_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook {url}: {exc or type(exc).__name__}") from None
    if response.is_success:
        return
    # 408 and 429 ask to come back later, as does any 5xx; another 4xx will not change.
    retry = response.status_code in (408, 429) or response.status_code >= 500
    raise DeliveryError(f"webhook {url} answered {response.status_code}", permanent=not retry)
