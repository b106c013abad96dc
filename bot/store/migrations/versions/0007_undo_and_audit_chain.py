"""undo actions and the audit hash chain

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undo_of", sa.Integer(), nullable=True))
        batch_op.create_index("ix_actions_undo_of", ["undo_of"], unique=False)
        batch_op.create_foreign_key("fk_actions_undo_of_actions", "actions", ["undo_of"], ["id"])
    op.create_table(
        "audit_chain",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("chain", "seq", name="uq_audit_chain_chain_seq"),
    )
    op.create_index("ix_audit_chain_chain", "audit_chain", ["chain"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_chain_chain", table_name="audit_chain")
    op.drop_table("audit_chain")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_actions_undo_of_actions", type_="foreignkey")
        batch_op.drop_index("ix_actions_undo_of")
        batch_op.drop_column("undo_of")
