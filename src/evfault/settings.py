"""Every setting, declared once: CLI options, environment variables, validation and docs.

Each field of `Settings` is a `setting(...)`: its default, its help, and the values it may take.
From that one declaration come the `--option` of `evfault serve` and `evfault demo`, its
`EVFAULT_*` environment twin, the check every value passes, and docs/settings.md
(`python -m evfault.settings` writes it). Nothing below the CLI and the app setup reads
`os.environ`; they receive a `Settings`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

SECTION_NAMES = ("Server", "Chargers", "Operators", "Limits", "Scan", "Drivers", "Sites", "Alerts")


@dataclass(frozen=True, slots=True)
class Rule:
    """What one setting says about itself, besides its name, type and default."""

    help: str
    section: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[Any], str] | None = None  # a problem in words, "" when the value is fine
    allowed: str = ""  # what `check` allows, for the docs


def setting(default: Any, help: str, *, section: str = "Server",
            choices: tuple[str, ...] = (), minimum: float | None = None,
            maximum: float | None = None, check: Callable[[Any], str] | None = None,
            allowed: str = "") -> Any:
    """Declare one setting: a dataclass field whose metadata drives the CLI, env and docs."""
    rule = Rule(help, section, choices, minimum, maximum, check, allowed)
    return field(default=default, metadata={"setting": rule})


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def time_zone_problem(value: Any) -> str:
    """Why `value` is not an IANA time zone name (empty is fine: the viewer's own zone)."""
    if value == "":
        return ""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return "an IANA time zone name such as Europe/Berlin or America/New_York"
    return ""


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = setting(
        "sqlite:///evfault.db",
        "Database URL: a SQLite file (default) or postgresql://user@host/dbname.")
    host: str = setting("127.0.0.1", "Address to listen on.")
    port: int = setting(8180, "Port for OCPP, dashboard and API (0 picks a free one).",
                        minimum=0, maximum=65535)
    log_level: str = setting("info", "How much the server logs.",
                             choices=("debug", "info", "warning", "error"))
    node: str = setting(
        "", "Name of this node (default: the host name); nodes sharing a database must differ.")
    time_zone: str = setting(
        "", "Time zone the operator pages show times in (an IANA name such as Europe/Berlin); "
        "empty: each viewer's browser zone.", check=time_zone_problem,
        allowed="IANA time zone name")
    workers: int = setting(
        1, "Processes serving the one port (SO_REUSEPORT), each a node of its own named "
        "NODE-wN and joined by --bus, which above 1 is required; 0: one per core when --bus "
        "is given, else 1.", minimum=0, maximum=256)
    bus: str = setting(
        "", "NATS server joining several nodes on one database (nats://HOST:PORT): live "
        "changes and commands reach every node; empty: this node alone.")
    heartbeat_interval: int = setting(
        300, "Heartbeat interval (s) sent to chargers in BootNotification responses.",
        section="Chargers", minimum=1)
    offline_grace: float = setting(
        120.0, "Seconds a charger's connection may be gone before it counts as offline.",
        section="Chargers", minimum=0)
    silence_heartbeats: float = setting(
        3.0, "A connected charger silent for this many heartbeat intervals counts as offline.",
        section="Chargers", minimum=0.1)
    reboot_window: float = setting(
        60.0, "Seconds after a BootNotification in which active errors must be re-reported.",
        section="Chargers", minimum=0)
    clock_skew: float = setting(
        300.0, "Seconds a charger's timestamp may lie in the future before it is distrusted.",
        section="Chargers", minimum=0)
    require_subprotocol: bool = setting(
        False, "Refuse chargers that offer no OCPP subprotocol instead of serving them as 1.6.",
        section="Chargers")
    max_charger_id: int = setting(48, "Longest charge point id accepted.",
                                  section="Chargers", minimum=1, maximum=1000)
    unknown_chargers: str = setting(
        "pending", "A charger id the registry does not know: accept, pending (listed for "
        "approval, its BootNotification answered Pending) or reject.",
        section="Chargers", choices=("accept", "pending", "reject"))
    unknown_tags: str = setting(
        "reject", "An RFID idTag not on the operators' allow-list: accept or reject (Invalid).",
        section="Chargers", choices=("accept", "reject"))
    liveness_probe: float = setting(
        10.0, "Seconds before a silent charger would count as offline that it is sent "
        "TriggerMessage(Heartbeat) and given to answer; 0: no probe.",
        section="Chargers", minimum=0, maximum=3600)
    reconcile_window: float = setting(
        60.0, "After a charger with open incidents connects, it is asked for its status; for "
        "this many seconds a connector answering Available with no error has them closed as "
        "reconciled. 0: never ask.", section="Chargers", minimum=0, maximum=3600)
    command_timeout: float = setting(
        30.0, "Seconds a command to a charger waits for the charger's answer.",
        section="Chargers", minimum=0.1, maximum=3600)
    secret_key: str = setting(
        "", "Key that signs login sessions; empty: one is made once and kept in the database.",
        section="Operators")
    session_hours: float = setting(12.0, "Hours a login lasts before it must be renewed.",
                                   section="Operators", minimum=0.01)
    tls_cert: str = setting(
        "", "TLS certificate chain (PEM file): serve wss:// and https:// on the same port.")
    tls_key: str = setting("", "Private key (PEM file) of --tls-cert.")
    tls_client_ca: str = setting(
        "", "CA certificates (PEM file) that sign chargers' client certificates (profile 3).")
    header_timeout: float = setting(
        10.0, "Seconds a client has to send a whole request head (and to start the next one).",
        section="Limits", minimum=0.01)
    tls_handshake_timeout: float = setting(
        10.0, "Seconds a client has to complete the TLS handshake.",
        section="Limits", minimum=0.01)
    idle_timeout: float = setting(
        600.0, "Seconds without a frame before a charger is pinged; silent after that: closed.",
        section="Limits", minimum=0.01)
    boot_defer_lag: float = setting(
        2.0, "Event-loop lag (s) above which new BootNotifications are answered Pending with "
        "a retry interval of 30-120 s spread by charger id (a reconnect storm); 0: never.",
        section="Limits", minimum=0)
    max_connections: int = setting(20_000, "Most connections open at once (all clients).",
                                   section="Limits", minimum=1)
    max_connections_per_address: int = setting(
        1_000, "Most connections open at once from one IP address (a site behind one NAT).",
        section="Limits", minimum=1)
    max_send_buffer: int = setting(
        262_144, "Bytes a client may leave unread before its connection is closed.",
        section="Limits", minimum=1)
    max_request_body: int = setting(16 * 1024 * 1024, "Largest HTTP request body (bytes).",
                                    section="Limits", minimum=1)
    max_request_line: int = setting(
        8192, "Longest HTTP request line (bytes); longer: 414.", section="Limits", minimum=1)
    max_header_size: int = setting(
        16_384, "Largest HTTP request head, request line and headers (bytes); larger: 431.",
        section="Limits", minimum=1)
    max_message_size: int = setting(
        1024 * 1024, "Largest WebSocket message from a charger (bytes); larger: closed with 1009.",
        section="Limits", minimum=1)
    max_event_streams: int = setting(
        1000, "Most operator live event streams (GET /api/v1/events) open at once.",
        section="Limits", minimum=1)
    max_event_streams_per_user: int = setting(
        20, "Most live event streams one operator account may hold open.",
        section="Limits", minimum=1)
    max_event_backlog: int = setting(
        1_048_576, "Bytes of live changes a stream may leave unread before it is told to "
        "resync (reload) instead.", section="Limits", minimum=1024)
    max_bad_frames_per_hour: int = setting(
        1000, "Rejected frames of one charger kept in the message log per hour; later ones are "
        "answered and counted, not logged. 0: keep all.", section="Limits", minimum=0)
    max_bad_frame_log: int = setting(
        4096, "Characters of one rejected frame kept in the message log.", section="Limits",
        minimum=64)
    log_retention_days: float = setting(
        90.0, "Days the raw message log (frames and status notifications as sent) is kept; "
        "incidents and history are kept regardless. 0: forever.", section="Limits", minimum=0)
    log_retention_rows: int = setting(
        10_000_000, "Most rows each raw log table keeps; the oldest go first. 0: no limit.",
        section="Limits", minimum=0)
    max_codes_per_message: int = setting(
        32, "Most codes one StatusNotification (or events one NotifyEvent) may carry; the rest "
        "are flagged, counted and not stored.", section="Limits", minimum=1)
    max_info_length: int = setting(
        500, "Longest info or vendorErrorCode text kept from one message (characters).",
        section="Limits", minimum=1)
    max_open_incidents: int = setting(
        64, "Most incidents open at once on one connector; further codes are counted, not "
        "opened.", section="Limits", minimum=1)
    scan_max_upload: int = setting(8_000_000, "Largest screen photo accepted, in bytes.",
                                   section="Scan", minimum=1)
    scan_max_pixels: int = setting(
        50_000_000, "Most pixels a screen photo may decode to (guards against decompression "
        "bombs).", section="Scan", minimum=1)
    scan_queue: int = setting(
        4, "Screen photos read or waiting at once; more are asked to try again shortly.",
        section="Scan", minimum=1)
    scan_store_dir: str = setting(
        "", "Folder for the screen photos drivers agree to share (metadata stripped); "
        "empty: never keep one.", section="Scan")
    public_url: str = setting(
        "", "Address drivers reach this server at (https://charge.example.com): QR codes on "
        "the chargers point at its /c/{id}; empty: the address the request came to.",
        section="Drivers")
    public_streams: int = setting(
        2_000, "Live driver pages (/c/{id}) open at once across all chargers; more poll "
        "instead.", section="Drivers", minimum=0)
    public_streams_per_charger: int = setting(
        50, "Live driver pages open at once for one charger; more poll instead.",
        section="Drivers", minimum=0)
    driver_reports_per_hour: int = setting(
        5, "Problem reports one address may send in an hour (0: the form is closed).",
        section="Drivers", minimum=0)
    sites: str = setting(
        "", "Site file (YAML): fuse limits, chargers, meters and EMS to load-manage "
        "(docs/sites.md); empty: sites only as managed through the API.", section="Sites")
    site_dead_band: float = setting(
        1.0, "Amperes a charger's site limit must rise by before a new charging profile is "
        "sent (a fall is always sent at once).", section="Sites", minimum=0)
    site_profile_hold: float = setting(
        120.0, "Seconds a site limit's charging profile holds before the charger drops to its "
        "fallback by itself; evfault renews it at half that.", section="Sites", minimum=2,
        maximum=86_400)
    rules: str = setting(
        "", "Self-healing and alert rules (YAML file, docs/alerts.md); empty: the rules last "
        "stored, else the built-in defaults.", section="Alerts")
    smtp_host: str = setting("", "SMTP server that alert e-mail is handed to; empty: none.",
                             section="Alerts")
    smtp_port: int = setting(25, "Port of the SMTP server.", section="Alerts",
                             minimum=1, maximum=65535)
    smtp_user: str = setting("", "SMTP login name; empty: send without logging in.",
                             section="Alerts")
    smtp_password: str = setting("", "SMTP password.", section="Alerts")
    smtp_from: str = setting("evfault@localhost", "Sender address of alert e-mail.",
                             section="Alerts")
    smtp_tls: str = setting("auto", "SMTP encryption: auto (STARTTLS when the server offers "
                            "it), starttls, tls or none.", section="Alerts",
                            choices=("auto", "starttls", "tls", "none"))
    webhook_secret: str = setting(
        "", "Key of the HMAC-SHA256 signature on alert webhooks (X-Evfault-Signature); "
        "without one, webhooks are not sent.", section="Alerts")
    alert_interval: float = setting(5.0, "Seconds between two checks of the alert rules.",
                                    section="Alerts", minimum=0.01)
    alert_attempts: int = setting(
        8, "Attempts to deliver one alert message before it is marked failed.",
        section="Alerts", minimum=1)
    alert_retry_delay: float = setting(
        30.0, "Seconds before the first retry of an alert message; doubled each time, at "
        "most an hour.", section="Alerts", minimum=0)

    def __post_init__(self) -> None:
        for one in TABLE:
            one.check(getattr(self, one.name))

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given values; None means 'not given' and keeps the current one."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the table: a field of `Settings` with its rule."""

    name: str
    default: Any
    type: type
    rule: Rule

    @property
    def help(self) -> str:
        return self.rule.help

    @property
    def env(self) -> str:
        return "EVFAULT_" + self.name.upper()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def shown_default(self) -> str:
        """The default as a person would type it (empty strings say so)."""
        if self.type is bool:
            return "true" if self.default else "false"
        return '""' if self.default == "" else str(self.default)

    def check(self, value: Any) -> None:
        """Raise SettingsError with one sentence when `value` cannot be used."""
        problem = self._problem(value)
        if problem:
            raise SettingsError(f"{self.option} ({self.env}) must be {problem}, not {value!r}.")

    def _problem(self, value: Any) -> str:
        if not _has_type(value, self.type):
            return f"a {_TYPE_WORDS[self.type]}"
        rule = self.rule
        if rule.choices and value not in rule.choices:
            return ", ".join(rule.choices[:-1]) + f" or {rule.choices[-1]}"
        low, high = rule.minimum, rule.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return _range_words(low, high)
        return rule.check(value) if rule.check else ""

    def text(self, value: Any) -> str:
        """`value` as its environment variable would spell it (parse reads it back)."""
        if self.type is bool:
            return "true" if value else "false"
        return repr(value) if self.type is float else str(value)

    def parse(self, raw: str) -> Any:
        """The value an environment variable's text stands for."""
        if self.type is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise SettingsError(f"{self.env} must be true or false, not {raw!r}.")
        try:
            return self.type(raw.strip()) if self.type is not str else raw
        except ValueError:
            raise SettingsError(
                f"{self.env} must be a {_TYPE_WORDS[self.type]}, not {raw!r}.") from None


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_TYPE_WORDS = {str: "text", int: "whole number", float: "number", bool: "true or false"}


def _has_type(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _range_words(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"at least {_number(low)}"
    return f"at most {_number(high or 0)}"


def _table() -> tuple[Setting, ...]:
    hints = get_type_hints(Settings)
    return tuple(Setting(f.name, f.default, hints[f.name], f.metadata["setting"])
                 for f in fields(Settings))


TABLE: tuple[Setting, ...] = _table()
BY_NAME: dict[str, Setting] = {s.name: s for s in TABLE}


def to_env(settings: Settings) -> dict[str, str]:
    """Every setting as its EVFAULT_* variable: what from_env turns back into `settings`."""
    return {one.env: one.text(getattr(settings, one.name)) for one in TABLE}


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from EVFAULT_* environment variables over the defaults."""
    env = os.environ if environ is None else environ
    values = {s.name: s.parse(env[s.env]) for s in TABLE if s.env in env}
    return Settings(**values)


def render_docs() -> str:
    """docs/settings.md, made from the table (a test checks the file is current)."""
    lines = [
        "# Settings",
        "",
        "<!-- Written by `python -m evfault.settings`; edit src/evfault/settings.py instead. -->",
        "",
        "Every setting of `evfault serve` (and `evfault demo`) is a command-line option and an",
        "environment variable; the option wins when both are given. Commands that open the",
        "database (`chargers`, `users`, `check --charger`, `export`) take `--db` / `EVFAULT_DB`.",
    ]
    for section in SECTION_NAMES:
        rows = [s for s in TABLE if s.rule.section == section]
        lines += ["", f"## {section}", "",
                  "| option | environment | default | allowed | what it does |",
                  "|---|---|---|---|---|"]
        lines += [_doc_row(s) for s in rows]
    return "\n".join(lines) + "\n"


def _doc_row(one: Setting) -> str:
    rule = one.rule
    if rule.allowed or rule.choices:
        allowed = rule.allowed or " / ".join(rule.choices)
    elif rule.minimum is not None or rule.maximum is not None:
        allowed = _range_words(rule.minimum, rule.maximum)
    else:
        allowed = _TYPE_WORDS[one.type]
    text = one.help.replace("|", "\\|")
    return f"| `{one.option}` | `{one.env}` | `{one.shown_default}` | {allowed} | {text} |"


DOCS_PATH = Path("docs") / "settings.md"


def main(argv: list[str]) -> int:
    """Write docs/settings.md (or the path given) from the table."""
    target = Path(argv[0]) if argv else DOCS_PATH
    target.write_text(render_docs(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
