"""evfault's own transport: HTTP/1.1 for the web app, RFC 6455 WebSockets for OCPP, TLS, limits."""
