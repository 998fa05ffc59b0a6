"""The initial schema: chargers, connectors, the raw message log, status history, incidents.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Plain SQLAlchemy types only: a migration must keep producing the same schema even after the
application's types change. Timestamps are timestamptz on PostgreSQL and fixed-width ISO 8601
UTC text on SQLite (see evfault.store.schema.UtcDateTime).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")
LOG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _log_id(table: str) -> tuple[sa.Column[int], sa.PrimaryKeyConstraint]:
    return (
        sa.Column("id", LOG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    )


def _charger_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["charger_id"], ["chargers.id"], name=f"fk_{table}_charger_id_chargers",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _chargers()
    _connectors()
    _messages()
    _status_events()
    _status_changes()
    _connectivity()
    _incidents()


def downgrade() -> None:
    for table in ("incidents", "connectivity", "status_changes", "status_events", "messages",
                  "connectors", "chargers"):
        op.drop_table(table)


def _chargers() -> None:
    op.create_table(
        "chargers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("vendor", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("serial", sa.String(), nullable=True),
        sa.Column("firmware", sa.String(), nullable=True),
        sa.Column("protocol", sa.String(), nullable=True),
        sa.Column("first_seen", TIMESTAMP, nullable=True),
        sa.Column("last_seen", TIMESTAMP, nullable=True),
        sa.Column("booted_at", TIMESTAMP, nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("offline_since", TIMESTAMP, nullable=True),
        sa.Column("node", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_chargers"),
    )


def _connectors() -> None:
    op.create_table(
        "connectors",
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _charger_fk("connectors"),
        sa.PrimaryKeyConstraint("charger_id", "connector_id", name="pk_connectors"),
    )


def _messages() -> None:
    op.create_table(
        "messages",
        *_log_id("messages"),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
    )
    op.create_index("ix_messages_charger_id_id", "messages", ["charger_id", "id"])


def _status_events() -> None:
    op.create_table(
        "status_events",
        *_log_id("status_events"),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("info", sa.Text(), nullable=True),
        sa.Column("vendor_id", sa.String(), nullable=True),
        sa.Column("vendor_error_code", sa.String(), nullable=True),
        sa.Column("charger_time", TIMESTAMP, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_status_events_charger_id_id", "status_events", ["charger_id", "id"])


def _status_changes() -> None:
    op.create_table(
        "status_changes",
        *_log_id("status_changes"),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("previous", sa.String(), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("time_flagged", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_status_changes_charger_id_at", "status_changes", ["charger_id", "at"])


def _connectivity() -> None:
    op.create_table(
        "connectivity",
        *_log_id("connectivity"),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
    )
    op.create_index("ix_connectivity_charger_id_at", "connectivity", ["charger_id", "at"])
    op.create_index("ix_connectivity_at", "connectivity", ["at"])


def _incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("opened_received_at", TIMESTAMP, nullable=False),
        sa.Column("vendor_id", sa.String(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("info", sa.Text(), nullable=True),
        sa.Column("reading_value", sa.Float(), nullable=True),
        sa.Column("reading_unit", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("warning_only", sa.Boolean(), nullable=False),
        sa.Column("time_flagged", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("cleared_at", TIMESTAMP, nullable=True),
        sa.Column("cleared_by", sa.String(), nullable=True),
        sa.Column("cleared_received_at", TIMESTAMP, nullable=True),
        sa.Column("set_rule", sa.String(), nullable=False),
        _charger_fk("incidents"),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_charger_id_opened_at", "incidents", ["charger_id", "opened_at"])
    op.create_index("ix_incidents_code", "incidents", ["code"])
    op.create_index("ix_incidents_opened_at", "incidents", ["opened_at"])
    active = sa.text("cleared_at IS NULL")
    op.create_index("ix_incidents_active", "incidents", ["charger_id"],
                    sqlite_where=active, postgresql_where=active)
