"""The one sequence that follows a new incident: log it, open its channel, triage it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import jobs
from bot.outbox import service as outbox
from bot.store.models import IncidentRow
from bot.triage import jobs as triage_jobs


async def incident_opened(
    session: AsyncSession,
    incident: IncidentRow,
    *,
    actor: str,
    summary: str,
    correlation_id: str,
    now: datetime,
    data: dict[str, Any],
) -> None:
    """Within the transaction that created `incident`: record it and queue its Slack side."""
    assert incident.id is not None
    eventlog.record(
        session,
        kind=EventKind.INCIDENT_OPENED,
        actor=actor,
        summary=summary,
        correlation_id=correlation_id,
        at=now,
        incident_id=incident.id,
        data=data,
    )
    # The triage job is queued behind the channel job, so the channel and its placeholder
    # card exist before the triage reports into them.
    for kind in (jobs.OPEN_CHANNEL, triage_jobs.RUN_TRIAGE):
        await outbox.enqueue(
            session, kind=kind, incident_id=incident.id, correlation_id=correlation_id, now=now
        )
