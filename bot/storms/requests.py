"""Split requests from Slack (the command or the card's button): find the storm, split."""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from bot.domain.lifecycle import OPEN_STATUSES
from bot.incidents import service as incidents
from bot.runtime import Runtime
from bot.store.models import IncidentRow
from bot.storms.keys import STORM
from bot.storms.split import SplitResult, split_service

USAGE = "Usage: `/incident split SERVICE` in a storm's channel."


async def split_in_channel(rt: Runtime, channel_id: str, service: str, actor: str) -> SplitResult:
    """Split from the storm of this channel, or the only open storm when run elsewhere."""
    if not service.strip():
        return SplitResult(USAGE)
    async with rt.sessions() as session, session.begin():
        storm = await incidents.find_by_channel(session, channel_id)
        if storm is None:
            open_storms = await session.exec(
                select(IncidentRow).where(
                    IncidentRow.kind == STORM,
                    col(IncidentRow.status).in_([s.value for s in OPEN_STATUSES]),
                )
            )
            found = list(open_storms.all())
            if len(found) != 1:
                return SplitResult(
                    "No open storm here. " + USAGE
                    if not found
                    else f"{len(found)} storms are open; run this in the storm's channel."
                )
            storm = found[0]
        result = await split_service(
            session,
            storm,
            service,
            actor=actor,
            correlation_id=uuid.uuid4().hex,
            now=rt.clock(),
        )
    rt.wake_outbox()
    return result


async def split_by_id(rt: Runtime, storm_id: int, service: str, actor: str) -> SplitResult:
    """Split from a given storm (the card's button carries its id)."""
    async with rt.sessions() as session, session.begin():
        storm = await incidents.get(session, storm_id)
        if storm is None:
            return SplitResult(f"Incident #{storm_id} does not exist.")
        result = await split_service(
            session,
            storm,
            service,
            actor=actor,
            correlation_id=uuid.uuid4().hex,
            now=rt.clock(),
        )
    rt.wake_outbox()
    return result
