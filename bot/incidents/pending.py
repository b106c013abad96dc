"""When an incident ends, proposals still waiting for a click stop being offered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.outbox import service as outbox
from bot.store.models import ActionRow, IncidentRow
from bot.triage import jobs as triage_jobs

AWAITING = "awaiting_approval"
CANCELLED = "cancelled"


async def withdraw_pending(
    session: AsyncSession, incident: IncidentRow, status: str, now: datetime
) -> int:
    """Cancel the incident's waiting proposals and queue the card edit; returns how many."""
    assert incident.id is not None
    waiting = await session.exec(
        select(ActionRow).where(ActionRow.incident_id == incident.id, ActionRow.state == AWAITING)
    )
    rows = list(waiting.all())
    cancelled = 0
    for row in rows:
        result = await session.exec(
            update(ActionRow)
            .where(col(ActionRow.id) == row.id, col(ActionRow.state) == AWAITING)
            .values(
                state=CANCELLED,
                version=ActionRow.version + 1,
                decided_at=now,
                # Kept so a late click is told what really happened.
                error_code=f"incident_{status}",
                error=f"the incident was {status} before anyone decided",
            )
        )
        if result.rowcount != 1:
            continue
        cancelled += 1
        eventlog.record(
            session,
            kind=EventKind.ACTION_CANCELLED,
            summary=f"{row.action} on {row.target} no longer offered: the incident is {status}",
            actor="smokejumper",
            correlation_id=incident.correlation_id,
            at=now,
            incident_id=incident.id,
            data={"action_id": row.id, "action": row.action, "target": row.target},
        )
    if cancelled:
        await outbox.enqueue(
            session,
            kind=triage_jobs.REFRESH_TRIAGE_CARD,
            incident_id=incident.id,
            correlation_id=incident.correlation_id,
            now=now,
            coalesce=True,
        )
    return cancelled
