"""Every setting, declared once: CLI options, environment variables, validation and docs.

Nothing below the CLI and the app setup reads `os.environ`; they receive a `Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    type: type
    help: str

    @property
    def env(self) -> str:
        return "EVFAULT_" + self.name.upper()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


TABLE: tuple[Setting, ...] = (
    Setting("db", "sqlite:///evfault.db", str,
            "Database URL: a SQLite file (default) or postgresql://user@host/dbname."),
    Setting("host", "127.0.0.1", str, "Address to listen on."),
    Setting("port", 8180, int, "Port for OCPP, dashboard and API (0 picks a free one)."),
    Setting("heartbeat_interval", 300, int,
            "Heartbeat interval (s) sent to chargers in BootNotification responses."),
    Setting("offline_grace", 120.0, float,
            "Seconds a charger's connection may be gone before it counts as offline."),
    Setting("silence_heartbeats", 3.0, float,
            "A connected charger silent for this many heartbeat intervals counts as offline."),
    Setting("reboot_window", 60.0, float,
            "Seconds after a BootNotification in which active errors must be re-reported."),
    Setting("clock_skew", 300.0, float,
            "Seconds a charger's timestamp may lie in the future before it is distrusted."),
    Setting("require_subprotocol", False, bool,
            "Refuse chargers that offer no OCPP subprotocol instead of serving them as 1.6."),
    Setting("max_charger_id", 48, int, "Longest charge point id accepted."),
    Setting("commit_interval", 0.002, float,
            "Seconds the writer waits to gather more messages into one commit."),
    Setting("log_level", "info", str, "Log level: debug, info, warning or error."),
    Setting("node", "", str,
            "Name of this node (default: the host name); nodes sharing a database must differ."),
    Setting("unknown_chargers", "pending", str,
            "A charger id the registry does not know: accept, pending (listed for approval, "
            "its BootNotification answered Pending) or reject."),
    Setting("secret_key", "", str,
            "Key that signs login sessions; empty: one is made once and kept in the database."),
    Setting("session_hours", 12.0, float, "Hours a login lasts before it must be renewed."),
    Setting("tls_cert", "", str,
            "TLS certificate chain (PEM file): serve wss:// and https:// on the same port."),
    Setting("tls_key", "", str, "Private key (PEM file) of --tls-cert."),
    Setting("tls_client_ca", "", str,
            "CA certificates (PEM file) that sign chargers' client certificates (profile 3)."),
    Setting("header_timeout", 10.0, float,
            "Seconds a client has to send a whole request head (and to start the next one)."),
    Setting("tls_handshake_timeout", 10.0, float,
            "Seconds a client has to complete the TLS handshake."),
    Setting("idle_timeout", 600.0, float,
            "Seconds without a frame before a charger is pinged; silent after that: closed."),
    Setting("max_connections", 20_000, int, "Most connections open at once (all clients)."),
    Setting("max_connections_per_address", 1_000, int,
            "Most connections open at once from one IP address (a site behind one NAT)."),
    Setting("max_send_buffer", 262_144, int,
            "Bytes a client may leave unread before its connection is closed."),
    Setting("max_request_body", 16 * 1024 * 1024, int, "Largest HTTP request body (bytes)."),
    Setting("max_request_line", 8192, int, "Longest HTTP request line (bytes); longer: 414."),
    Setting("max_header_size", 16_384, int,
            "Largest HTTP request head, request line and headers (bytes); larger: 431."),
    Setting("max_message_size", 1024 * 1024, int,
            "Largest WebSocket message from a charger (bytes); larger: closed with 1009."),
    Setting("scan_max_upload", 8_000_000, int, "Largest screen photo accepted, in bytes."),
    Setting("scan_max_pixels", 50_000_000, int,
            "Most pixels a screen photo may decode to (guards against decompression bombs)."),
    Setting("scan_queue", 4, int,
            "Screen photos read or waiting at once; more are asked to try again shortly."),
    Setting("scan_store_dir", "", str,
            "Folder for the screen photos drivers agree to share (metadata stripped); "
            "empty: never keep one."),
    Setting("sites", "", str,
            "Site file (YAML): fuse limits, chargers, meters and EMS to load-manage "
            "(docs/sites.md); empty: sites only as managed through the API."),
)


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = "sqlite:///evfault.db"
    host: str = "127.0.0.1"
    port: int = 8180
    heartbeat_interval: int = 300
    offline_grace: float = 120.0
    silence_heartbeats: float = 3.0
    reboot_window: float = 60.0
    clock_skew: float = 300.0
    require_subprotocol: bool = False
    max_charger_id: int = 48
    commit_interval: float = 0.002
    log_level: str = "info"
    node: str = ""
    unknown_chargers: str = "pending"
    secret_key: str = ""
    session_hours: float = 12.0
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    header_timeout: float = 10.0
    tls_handshake_timeout: float = 10.0
    idle_timeout: float = 600.0
    max_connections: int = 20_000
    max_connections_per_address: int = 1_000
    max_send_buffer: int = 262_144
    max_request_body: int = 16 * 1024 * 1024
    max_request_line: int = 8192
    max_header_size: int = 16_384
    max_message_size: int = 1024 * 1024
    scan_max_upload: int = 8_000_000
    scan_max_pixels: int = 50_000_000
    scan_queue: int = 4
    scan_store_dir: str = ""
    sites: str = ""

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given values; None means 'not given' and keeps the current one."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def _convert(setting: Setting, raw: str) -> Any:
    if setting.type is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{setting.env} must be true or false, not {raw!r}.")
    try:
        return setting.type(raw)
    except ValueError:
        raise SettingsError(
            f"{setting.env} must be a {setting.type.__name__}, not {raw!r}."
        ) from None


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from EVFAULT_* environment variables over the defaults."""
    env = os.environ if environ is None else environ
    values = {s.name: _convert(s, env[s.env]) for s in TABLE if s.env in env}
    return Settings(**values)


def _check_table() -> None:
    names = [f.name for f in fields(Settings)]
    assert names == [s.name for s in TABLE], "Settings and TABLE must list the same names"


_check_table()
