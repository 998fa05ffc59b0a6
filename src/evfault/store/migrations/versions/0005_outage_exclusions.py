"""Reliability reports: operators' outage exclusions, and an index for outage periods.

Revision ID: 0005_outage_exclusions
Revises: 0004_alerts
Create Date: 2026-11-29

The partial index holds only the status changes that start or end an outage (a change into or
out of Faulted / Unavailable): the uptime report reads those and never the millions of
Preparing → Charging → Finishing changes of ordinary sessions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_outage_exclusions"
down_revision = "0004_alerts"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")
OUT = "status IN ('Faulted', 'Unavailable') OR previous IN ('Faulted', 'Unavailable')"
ENDS = ("previous IN ('Charging', 'SuspendedEV', 'SuspendedEVSE', 'Occupied') AND status NOT IN "
        "('Charging', 'SuspendedEV', 'SuspendedEVSE', 'Occupied')")


def upgrade() -> None:
    op.create_table(
        "outage_exclusions",
        sa.Column("outage_id", sa.String(), nullable=False),
        sa.Column("charger_id", sa.String(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("outage_start", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("set_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("outage_id", name="pk_outage_exclusions"),
    )
    op.create_index("ix_outage_exclusions_outage_start", "outage_exclusions", ["outage_start"])
    op.create_index("ix_status_changes_outage", "status_changes", ["at"],
                    sqlite_where=sa.text(OUT), postgresql_where=sa.text(OUT))
    op.create_index("ix_status_changes_session_end", "status_changes", ["at"],
                    sqlite_where=sa.text(ENDS), postgresql_where=sa.text(ENDS))


def downgrade() -> None:
    op.drop_index("ix_status_changes_session_end", "status_changes")
    op.drop_index("ix_status_changes_outage", "status_changes")
    op.drop_table("outage_exclusions")
