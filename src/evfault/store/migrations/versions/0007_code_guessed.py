"""Incidents remember whether their code's scheme was a guess (no vendorId, told by its shape).

Revision ID: 0007_code_guessed
Revises: 0006_driver_reports
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_code_guessed"
down_revision = "0006_driver_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("code_guessed", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("code_guessed")
