"""Drivers' problem reports, sent from the public charger pages (/c/{id}).

Revision ID: 0006_driver_reports
Revises: 0005_outage_exclusions
Create Date: 2026-11-29

Plain SQLAlchemy types only, as in 0001_initial.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_driver_reports"
down_revision = "0005_outage_exclusions"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "driver_reports",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("seen_at", TIMESTAMP, nullable=True),
        sa.Column("seen_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_driver_reports"),
    )
    op.create_index("ix_driver_reports_created_at", "driver_reports", ["created_at"])
    op.create_index("ix_driver_reports_sender_created_at", "driver_reports",
                    ["sender", "created_at"])
    op.create_index("ix_driver_reports_charger_id_created_at", "driver_reports",
                    ["charger_id", "created_at"])


def downgrade() -> None:
    op.drop_table("driver_reports")
