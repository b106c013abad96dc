"""outbox lanes: which work a job is, stored when it is queued

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows queued before lanes get the lane of their kind; the kind names are frozen here as
# they were at this revision.
_LANES = {
    "adapters": ("action.execute", "action.describe", "action.verify"),
    "pager": ("pager.page", "pager.acknowledge", "pager.resolve", "handoff.pager_note"),
    "ticket": ("ticket.create", "ticket.sync", "ticket.resolve"),
    "timers": ("ticket.retry", "storm.check"),
}


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        # The server default also covers a job queued by a replica still on the older
        # code during a rolling upgrade.
        batch_op.add_column(
            sa.Column("lane", sa.String(length=16), nullable=False, server_default="slack")
        )
    outbox = sa.table("outbox", sa.column("kind", sa.String), sa.column("lane", sa.String))
    for lane, kinds in _LANES.items():
        op.execute(outbox.update().where(outbox.c.kind.in_(kinds)).values(lane=lane))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lane")
