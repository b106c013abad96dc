"""slack request receipts (replay protection)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_request_receipts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index(
        "ix_slack_request_receipts_received_at",
        "slack_request_receipts",
        ["received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_slack_request_receipts_received_at", table_name="slack_request_receipts")
    op.drop_table("slack_request_receipts")
