"""Which incident a job works for, and whether that incident still wants it done."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.lifecycle import OPEN_STATUSES
from bot.outbox.service import Job
from bot.store.models import IncidentRow

_OPEN = frozenset(status.value for status in OPEN_STATUSES)


def incident_of(job: Job) -> int | None:
    """The job's incident: its own column, else the older payload convention."""
    if job.incident_id is not None:
        return job.incident_id
    value = job.payload.get("incident_id")
    return value if isinstance(value, int) else None


async def keeps_retrying(session: AsyncSession, job: Job) -> bool:
    """True while the job's incident is open: its Slack, pager and ticket work must not be
    given up because the far side is down for a while."""
    incident_id = incident_of(job)
    if incident_id is None:
        return False
    incident = await session.get(IncidentRow, incident_id)
    return incident is not None and incident.status in _OPEN
