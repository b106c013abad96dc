"""storm incidents: incident kind, when a storm subsided, signals by environment and time

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="incident")
        )
        batch_op.add_column(sa.Column("split_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("storm_subsided_at", sa.DateTime(timezone=True), nullable=True)
        )
    # The storm breaker counts the services alerting in one environment in a window.
    op.create_index(
        "ix_signals_environment_received_at",
        "signals",
        ["environment", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_signals_environment_received_at", table_name="signals")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("storm_subsided_at")
        batch_op.drop_column("split_from_id")
        batch_op.drop_column("kind")
