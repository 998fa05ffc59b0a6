"""The database schema as SQLAlchemy Core tables: what the migrations are checked against.

Every timestamp column is `UtcDateTime`: timezone-aware UTC datetimes go in and come out on both
backends. PostgreSQL keeps them as `timestamptz`; SQLite, which has no date type, keeps them as
fixed-width ISO 8601 text (`2024-05-01T12:00:00.000000+00:00`), so text order is time order and
range filters work on the plain column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from evfault.store.times import as_utc, iso_utc


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored as UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return iso_utc(value)
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return as_utc(value)


def _id_column() -> Column[int]:
    # SQLite only makes a column the rowid (cheap, monotonic) when it is exactly INTEGER
    # PRIMARY KEY; PostgreSQL needs 64 bits for a log that grows by thousands of rows a second.
    return Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                  autoincrement=True)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
)

chargers = Table(
    "chargers",
    metadata,
    Column("id", String, primary_key=True),
    Column("vendor", String),
    Column("model", String),
    Column("serial", String),
    Column("firmware", String),
    Column("protocol", String),
    Column("first_seen", UtcDateTime),
    Column("last_seen", UtcDateTime),
    Column("booted_at", UtcDateTime),
    Column("online", Boolean, nullable=False),
    Column("offline_since", UtcDateTime),
    Column("node", String),
)

# Connectors and incidents are state: they belong to a charger and go when it goes. The append-only
# logs below carry no foreign key on purpose: at thousands of rows a second a per-row key check
# (a row lock on PostgreSQL) is measurable, and the raw log should outlive a deleted charger.
connectors = Table(
    "connectors",
    metadata,
    Column("charger_id", String, ForeignKey("chargers.id", ondelete="CASCADE"),
           primary_key=True),
    Column("connector_id", Integer, primary_key=True, autoincrement=False),
    Column("status", String, nullable=False),
    Column("error_code", String),
    Column("updated_at", UtcDateTime, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    _id_column(),
    Column("charger_id", String, nullable=False),
    Column("direction", String, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String),
    Column("message_id", String),
    Column("raw", Text, nullable=False),
    Index(None, "charger_id", "id"),
)

status_events = Table(
    "status_events",
    metadata,
    _id_column(),
    Column("charger_id", String, nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("status", String),
    Column("error_code", String),
    Column("info", Text),
    Column("vendor_id", String),
    Column("vendor_error_code", String),
    Column("charger_time", UtcDateTime),
    Column("received_at", UtcDateTime, nullable=False),
    Index(None, "charger_id", "id"),
)

status_changes = Table(
    "status_changes",
    metadata,
    _id_column(),
    Column("charger_id", String, nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("status", String, nullable=False),
    Column("previous", String),
    Column("at", UtcDateTime, nullable=False),
    Column("time_flagged", Boolean, nullable=False),
    Index(None, "charger_id", "at"),
)

connectivity = Table(
    "connectivity",
    metadata,
    _id_column(),
    Column("charger_id", String, nullable=False),
    Column("online", Boolean, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("reason", String, nullable=False),
    Index(None, "charger_id", "at"),
    Index(None, "at"),  # the fleet-wide uptime report reads every charger's changes by time
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String, primary_key=True),
    Column("charger_id", String, ForeignKey("chargers.id", ondelete="CASCADE"), nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("scheme", String, nullable=False),
    Column("code", String, nullable=False),
    Column("title", String, nullable=False),
    Column("severity", String, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_received_at", UtcDateTime, nullable=False),
    Column("vendor_id", String),
    Column("error_code", String),
    Column("info", Text),
    Column("reading_value", Float),
    Column("reading_unit", String),
    Column("status", String),
    Column("warning_only", Boolean, nullable=False),
    Column("time_flagged", Boolean, nullable=False),
    Column("code_guessed", Boolean, nullable=False, server_default=false()),
    Column("last_seen_at", UtcDateTime),
    Column("reports", Integer, nullable=False),
    Column("cleared_at", UtcDateTime),
    Column("cleared_by", String),
    Column("cleared_received_at", UtcDateTime),
    Column("set_rule", String, nullable=False),
    Index(None, "charger_id", "opened_at"),
    Index(None, "code"),
    # The newest-first history without filters (the API's default listing).
    Index(None, "opened_at"),
)

# The dashboard and a restarting tracker read only the active incidents: a partial index keeps
# that read proportional to what is broken now, not to years of history.
Index(
    "ix_incidents_active",
    incidents.c.charger_id,
    sqlite_where=incidents.c.cleared_at.is_(None),
    postgresql_where=incidents.c.cleared_at.is_(None),
)


# ---- trust: who may connect, who may log in, and what they did (migration 0002_trust) --------

# The charger registry is its own table, not columns of `chargers`: the group writer upserts
# every column of `chargers` on the hot path, and a registry entry can exist (added by an
# operator) before its charger ever connected.
charger_registry = Table(
    "charger_registry",
    metadata,
    Column("id", String, primary_key=True),
    Column("state", String, nullable=False),  # accepted | pending | rejected
    Column("profile", Integer, nullable=False),  # OCPP security profile 0-3
    Column("password_hash", String),  # argon2; never the password
    Column("certificate_identity", String),  # profile 3: the client certificate's identity
    Column("first_seen", UtcDateTime),  # first knock on the door, admitted or not
    Column("last_seen", UtcDateTime),
    Column("last_address", String),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),  # other nodes reload what changed
    Index(None, "updated_at"),
)

refused_connections = Table(
    "refused_connections",
    metadata,
    Column("charger_id", String, primary_key=True),
    Column("address", String, primary_key=True),
    Column("reason", String, primary_key=True),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    Column("count", BigInteger, nullable=False),
    Index(None, "last_at"),
)

users = Table(
    "users",
    metadata,
    _id_column(),
    Column("name", String, nullable=False, unique=True),
    Column("role", String, nullable=False),  # viewer | operator | admin
    Column("password_hash", String, nullable=False),
    # Bumped when the password changes: every session signed for an older value ends.
    Column("session_epoch", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    _id_column(),
    Column("user_id", BigInteger().with_variant(Integer(), "sqlite"),
           ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("label", String, nullable=False),
    Column("token_hash", String, nullable=False, unique=True),  # SHA-256 of a random token
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id_column(),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String, nullable=False),  # a user name, or "cli:<os user>"
    Column("action", String, nullable=False),  # e.g. charger.approve, user.add
    Column("target", String, nullable=False),
    Column("detail", Text),
    Index(None, "at"),
)

# Values the server makes once and keeps (the session signing key when none is configured).
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Text, nullable=False),
)


# ---- commands sent to chargers: who sent what, when, and the answer (migration 0003) --------

commands = Table(
    "commands",
    metadata,
    Column("id", String, primary_key=True),
    Column("charger_id", String, nullable=False),
    Column("command", String, nullable=False),  # the vocabulary's name, e.g. reset
    Column("args", Text, nullable=False),  # JSON, as asked
    Column("actor", String, nullable=False),  # a user name, or rule:<name> for self-healing
    Column("status", String, nullable=False),  # a CommandStatus value
    Column("action", String),  # the OCPP action it became
    Column("payload", Text),  # JSON, as sent
    Column("answer", Text),  # JSON: the CALLRESULT payload or the CALLERROR details
    Column("error", Text),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime),
    Column("node", String),
    Index(None, "charger_id", "sent_at"),
)


# ---- alerts: the outbox and the rules (migration 0004_alerts) -------------------------------

# One row per message and channel, written before it is sent and marked when delivered: a
# restart loses none, and the unique key lets no node write the same message twice.
alert_outbox = Table(
    "alert_outbox",
    metadata,
    _id_column(),
    Column("key", String, nullable=False, unique=True),  # message key + channel number
    Column("message_key", String, nullable=False),  # the webhook's Idempotency-Key
    Column("rule", String, nullable=False),
    Column("kind", String, nullable=False),  # alert | repeat | resolved
    Column("seq", Integer, nullable=False),
    Column("subject", String, nullable=False),  # incident id, or offline:<charger id>
    Column("charger_id", String, nullable=False),
    Column("channel", String, nullable=False),  # email | webhook
    Column("target", String, nullable=False),  # addresses, or the URL
    Column("payload", Text, nullable=False),  # JSON: what the message says
    Column("state", String, nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("last_error", Text),
    Index(None, "state", "next_attempt_at"),
    Index(None, "created_at"),
    Index(None, "charger_id", "created_at"),
)

# Every version of the rules document; the newest is in force. Kept whole, so who changed
# what stays readable.
rule_sets = Table(
    "rule_sets",
    metadata,
    _id_column(),
    Column("text", Text, nullable=False),
    Column("source", String, nullable=False),  # file:<path> or api
    Column("actor", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


# ---- reliability reports (migration 0005) ---------------------------------------------------

# An operator's reason why an outage does not count against uptime (23 CFR 680.116(b)(3)).
# Outages are computed, not stored; their id is a hash of port and start (analytics/uptime.py),
# so an exclusion keeps pointing at its outage however often the report is recomputed.
outage_exclusions = Table(
    "outage_exclusions",
    metadata,
    Column("outage_id", String, primary_key=True),
    Column("charger_id", String, nullable=False),
    Column("connector_id", Integer, nullable=False),
    Column("outage_start", UtcDateTime, nullable=False),
    Column("reason", Integer, nullable=False),  # 1–6, EV-ChART excluded_outage_reason
    Column("notes", Text, nullable=False),
    Column("set_by", String, nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Index(None, "outage_start"),
)

OUT_STATUSES = ("Faulted", "Unavailable")
SESSION_STATUSES = ("Charging", "SuspendedEV", "SuspendedEVSE", "Occupied")
_sc = status_changes.c
# Only the changes that open or close an outage, and those that end a charging session.
OUTAGE_CHANGE = _sc.status.in_(OUT_STATUSES) | _sc.previous.in_(OUT_STATUSES)
SESSION_END = _sc.previous.in_(SESSION_STATUSES) & _sc.status.not_in(SESSION_STATUSES)
Index("ix_status_changes_outage", _sc.at, sqlite_where=OUTAGE_CHANGE,
      postgresql_where=OUTAGE_CHANGE)
Index("ix_status_changes_session_end", _sc.at, sqlite_where=SESSION_END,
      postgresql_where=SESSION_END)


# ---- drivers' problem reports from the public charger pages (migration 0006) ----------------

driver_reports = Table(
    "driver_reports",
    metadata,
    _id_column(),
    Column("charger_id", String, nullable=False),
    Column("connector_id", Integer),  # None: the driver did not say which
    Column("message", Text, nullable=False),
    Column("contact", Text),  # only when the driver chose to leave one
    Column("lang", String, nullable=False),  # the page's language, to answer in it
    # A keyed hash of the sender's address: enough to count reports per address, never the
    # address itself.
    Column("sender", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime),
    Column("seen_by", String),
    Index(None, "created_at"),
    Index(None, "sender", "created_at"),
    Index(None, "charger_id", "created_at"),
)


# ---- self-healing: the actions taken on incidents (migration 0008_healing) -------------------

# Written before the command leaves, completed with the answer, and given its verdict (did the
# error clear?) later. One row per incident, rule and step: two nodes cannot take the same step.
incident_actions = Table(
    "incident_actions",
    metadata,
    _id_column(),
    Column("incident_id", String, nullable=False),
    Column("charger_id", String, nullable=False),
    Column("connector_id", Integer),
    Column("rule", String, nullable=False),
    Column("action", String, nullable=False),  # soft_reset | hard_reset | unlock | …
    Column("step", Integer, nullable=False),  # its place in the rule's actions
    Column("at", UtcDateTime, nullable=False),
    Column("status", String, nullable=False),  # pending, then the command's status
    Column("answer", Text),  # JSON: the charger's answer
    Column("error", Text),
    Column("cleared", Boolean),  # None until known
    Column("checked_at", UtcDateTime),
    UniqueConstraint("incident_id", "rule", "step", name="uq_incident_actions_incident_id"),
    Index(None, "charger_id", "at"),
    Index(None, "at"),
)


# ---- RFID idTags: the operators' allow-list (migration 0009) -------------------------------

id_tags = Table(
    "id_tags",
    metadata,
    Column("id_tag", String, primary_key=True),
    Column("parent", String),  # parentIdTag / groupIdToken: blocked or expired with it
    Column("expires_at", UtcDateTime),
    Column("blocked", Boolean, nullable=False),
    Column("note", String),  # whose card it is, for people; never sent to chargers
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


# ---- sites: their settings, notifications and limits over time (migration 0010_sites) ---------

# Sites managed through the API (a site file's sites are not stored: the file is their source).
sites = Table(
    "sites",
    metadata,
    Column("id", String, primary_key=True),
    Column("config", Text, nullable=False),  # JSON in the site file's shape
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String, nullable=False),
)

# The seed's platform notifications of a site, from the moment they open until they clear.
site_notifications = Table(
    "site_notifications",
    metadata,
    Column("id", String, primary_key=True),
    Column("site_id", String, nullable=False),
    Column("code", String, nullable=False),  # a platform catalog code: MeterOffline, …
    Column("subject", String, nullable=False),  # the charger for ChargerOffline, else ""
    Column("info", Text),  # what load management did about it: "50 A assumed"
    Column("opened_at", UtcDateTime, nullable=False),
    Column("cleared_at", UtcDateTime),
    Index(None, "site_id", "opened_at"),
)

# The site's limit and what used it, sampled when it changes (the day's plot on the site page).
site_samples = Table(
    "site_samples",
    metadata,
    _id_column(),
    Column("site_id", String, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("limit_a", Float, nullable=False),
    Column("metered_a", Float, nullable=False),
    Column("allocated_a", Float, nullable=False),
    Column("reserved_a", Float, nullable=False),
    Index(None, "site_id", "at"),
)
