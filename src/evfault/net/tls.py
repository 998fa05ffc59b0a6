"""TLS on the OCPP/web port: wss:// and https:// from one certificate, client certificates for
OCPP security profile 3."""

from __future__ import annotations

import ssl
from typing import Any

from evfault.errors import UserError
from evfault.settings import Settings


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context the settings ask for, or None for plain ws:// and http://."""
    if not settings.tls_cert and not settings.tls_key and not settings.tls_client_ca:
        return None
    if not settings.tls_cert or not settings.tls_key:
        raise UserError("TLS needs both --tls-cert and --tls-key.")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # OCPP security white paper: 1.2 or later
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
        if settings.tls_client_ca:
            context.load_verify_locations(settings.tls_client_ca)
            # Optional, not required: a browser without a certificate must still reach the
            # dashboard. A certificate that is presented must verify, or the handshake fails.
            context.verify_mode = ssl.CERT_OPTIONAL
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"cannot use the TLS files: {exc}.") from None
    return context


def certificate_identity(ssl_object: Any) -> str | None:
    """The subject common name of the client's verified certificate, if it presented one.

    With CERT_OPTIONAL the handshake fails for a certificate the CA did not sign, so a
    certificate present here is a verified one.
    """
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None
