"""Self-healing: every action taken on an incident, its answer, and whether the error cleared.

Revision ID: 0008_healing
Revises: 0007_code_guessed
Create Date: 2026-11-29

Plain SQLAlchemy types only, as in 0001_initial.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_healing"
down_revision = "0007_code_guessed"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incident_actions",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cleared", sa.Boolean(), nullable=True),
        sa.Column("checked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incident_actions"),
        sa.UniqueConstraint("incident_id", "rule", "step",
                            name="uq_incident_actions_incident_id"),
    )
    op.create_index("ix_incident_actions_charger_id_at", "incident_actions",
                    ["charger_id", "at"])
    op.create_index("ix_incident_actions_at", "incident_actions", ["at"])


def downgrade() -> None:
    op.drop_table("incident_actions")
