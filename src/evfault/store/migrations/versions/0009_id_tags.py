"""RFID idTags: the operators' allow-list, with expiry and parent tags.

Revision ID: 0009_id_tags
Revises: 0008_healing
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_id_tags"
down_revision = "0008_healing"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "id_tags",
        sa.Column("id_tag", sa.String(), nullable=False),
        sa.Column("parent", sa.String(), nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id_tag", name="pk_id_tags"),
    )


def downgrade() -> None:
    op.drop_table("id_tags")
