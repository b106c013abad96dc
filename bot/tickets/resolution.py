"""What a resolve sets off for the ticket: a handoff, then the ticket resolved with it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handoff.requests import request_handoff
from bot.outbox import service as outbox
from bot.tickets import jobs


async def on_resolved(
    session: AsyncSession,
    incident_id: int,
    actor: str,
    correlation_id: str,
    *,
    now: datetime,
) -> None:
    """Queue the handoff and the ticket's resolution, in that order (a resolve calls this).

    Both go into the incident's lane: the resolve job finds the handoff posted, writes the
    remaining timeline, then resolves with the handoff as close notes. Without a ticket
    (yet) the resolve job does nothing, and the create job resolves what it opens late.
    """
    await request_handoff(session, incident_id, None, actor, "resolved", correlation_id, now=now)
    await outbox.enqueue(
        session,
        kind=jobs.RESOLVE,
        incident_id=incident_id,
        correlation_id=correlation_id,
        now=now,
        coalesce=True,
    )
