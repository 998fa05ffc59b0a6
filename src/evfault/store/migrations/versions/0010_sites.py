"""Sites managed through the API, their platform notifications and their limits over time.

Revision ID: 0010_sites
Revises: 0009_id_tags
Create Date: 2026-11-29

Plain SQLAlchemy types only, as in 0001_initial.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_sites"
down_revision = "0009_id_tags"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
    )
    op.create_table(
        "site_notifications",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("site_id", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("info", sa.Text(), nullable=True),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("cleared_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_site_notifications"),
    )
    op.create_index("ix_site_notifications_site_id_opened_at", "site_notifications",
                    ["site_id", "opened_at"])
    op.create_table(
        "site_samples",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("limit_a", sa.Float(), nullable=False),
        sa.Column("metered_a", sa.Float(), nullable=False),
        sa.Column("allocated_a", sa.Float(), nullable=False),
        sa.Column("reserved_a", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_site_samples"),
    )
    op.create_index("ix_site_samples_site_id_at", "site_samples", ["site_id", "at"])


def downgrade() -> None:
    op.drop_table("site_samples")
    op.drop_table("site_notifications")
    op.drop_table("sites")
