"""Queue ticket work inside the caller's transaction, so it happens if and only if the facts do."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox import service as outbox
from bot.store.models import IncidentRow
from bot.tickets import jobs


async def request_ticket(
    session: AsyncSession, incident_id: int, correlation_id: str, now: datetime
) -> None:
    """Queue the creation of the incident's ticket; a second request joins the waiting one."""
    await outbox.enqueue(
        session,
        kind=jobs.CREATE,
        incident_id=incident_id,
        correlation_id=correlation_id,
        now=now,
        coalesce=True,
    )


async def request_sync(
    session: AsyncSession, incident_id: int, correlation_id: str, now: datetime
) -> None:
    """Queue a work-notes sync for an incident with a ticket; cheap to call after any event.

    Without a ticket there is nothing to write yet (the create job syncs the whole
    timeline once the ticket exists). While writes fail, a parked retry is already on its
    way and will write everything up to then, so no new job is queued into the lane.
    """
    # Two columns only: the caller's loaded incident is left as it is.
    found = await session.exec(
        select(IncidentRow.ticket_sys_id, IncidentRow.ticket_sync_failing).where(
            IncidentRow.id == incident_id
        )
    )
    state = found.first()
    if state is None:
        return
    sys_id, failing = state
    if sys_id is None or failing:
        return
    await outbox.enqueue(
        session,
        kind=jobs.SYNC,
        incident_id=incident_id,
        correlation_id=correlation_id,
        now=now,
        coalesce=True,
    )
