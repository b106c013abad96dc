"""Queue a handoff inside the caller's transaction, so it is posted if and only if the facts are."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handoff.jobs import POST
from bot.outbox import service as outbox


async def request_handoff(
    session: AsyncSession,
    incident_id: int,
    owner: str | None,
    actor: str,
    why: str,
    correlation_id: str,
    *,
    now: datetime,
) -> None:
    """Queue a handoff post naming `owner` (None: nobody new) as the next owner."""
    await outbox.enqueue(
        session,
        kind=POST,
        incident_id=incident_id,
        correlation_id=correlation_id,
        now=now,
        payload={"owner": owner, "actor": actor, "why": why[:300]},
    )
