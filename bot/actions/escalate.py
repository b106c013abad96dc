"""Escalation: hand the incident to humans: page per policy, post a handoff, say why."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.common import BOT_ACTOR, tell_channel
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.handoff.requests import request_handoff
from bot.incidents import service as incidents
from bot.paging.request import request_page
from bot.runtime import Runtime
from bot.store.models import ActionRow


async def escalate(
    rt: Runtime,
    session: AsyncSession,
    incident_id: int,
    *,
    reason: str,
    correlation_id: str,
    action: ActionRow | None = None,
    page: bool = True,
    handoff: bool = True,
) -> None:
    """Record the escalation and queue what it sets off, in the caller's transaction."""
    now = rt.clock()
    await incidents.set_fields(session, incident_id, escalated_at=now, updated_at=now)
    eventlog.record(
        session,
        kind=EventKind.ESCALATED,
        summary=f"Escalated to humans: {reason[:400]}",
        actor=BOT_ACTOR,
        correlation_id=correlation_id,
        at=now,
        incident_id=incident_id,
        data={
            "reason": reason[:1000],
            "action_id": action.id if action is not None else None,
            "action": action.action if action is not None else None,
            "never_repeat": action is not None,
        },
    )
    note = f"📣 Escalated to humans: {reason[:400]}"
    if action is not None:
        note += f"\n`{action.action}` will not be tried again for this incident."
    await tell_channel(session, incident_id, note, correlation_id, now)
    if page:
        # The paging gate decides; when it holds the page, the channel is told why.
        await request_page(
            rt, session, incident_id, reason=reason[:500], correlation_id=correlation_id
        )
    if handoff:
        await request_handoff(
            session,
            incident_id,
            None,
            BOT_ACTOR,
            f"escalation: {reason[:200]}",
            correlation_id,
            now=now,
        )
