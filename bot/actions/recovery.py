"""Actions a crash interrupted: found, reported, escalated, and never silently re-run."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards
from bot.actions.escalate import escalate
from bot.actions.states import ActionState
from bot.domain.events import EventKind
from bot.runtime import Runtime
from bot.store.models import ActionRow

log = logging.getLogger(__name__)


def interrupted_after(rt: Runtime) -> timedelta:
    """How long after its start an action that has not reported back cannot still be running."""
    attempts = rt.policy.rules.limits.max_retries + 1
    return timedelta(seconds=rt.settings.action_timeout_seconds * attempts + 60)


async def mark_interrupted(
    rt: Runtime, session: AsyncSession, row: ActionRow, correlation_id: str, now: datetime
) -> bool:
    """Executing → interrupted, with an escalation; False if someone else settled it first."""
    assert row.id is not None
    if not await actions.move(
        session, row.id, ActionState.EXECUTING, ActionState.INTERRUPTED, finished_at=now
    ):
        return False
    log.warning("action %s (%s) was interrupted; it will not be re-run", row.id, row.action)
    log_action(
        session,
        row,
        EventKind.ACTION_INTERRUPTED,
        f"{row.action} on {row.target} was interrupted before it reported back; "
        "its effect is unknown and it will not be re-run",
        correlation_id=correlation_id,
        at=now,
    )
    await escalate(
        rt,
        session,
        row.incident_id,
        reason=f"{row.action} on {row.target} was interrupted; check its effect by hand",
        correlation_id=correlation_id,
        action=row,
    )
    await refresh_cards(session, row.incident_id, correlation_id, now)
    return True


async def report_interrupted(rt: Runtime) -> int:
    """At start-up: every action left executing longer than any run can last is reported.

    Younger ones may belong to a live replica; their execute job looks again later.
    """
    now = rt.clock()
    cutoff = now - interrupted_after(rt)
    correlation_id = uuid.uuid4().hex
    count = 0
    async with rt.sessions() as session, session.begin():
        result = await session.exec(
            select(ActionRow).where(
                ActionRow.state == ActionState.EXECUTING.value,
                col(ActionRow.started_at) < cutoff,
            )
        )
        for row in result.all():
            if await mark_interrupted(rt, session, row, correlation_id, now):
                count += 1
    if count:
        rt.wake_outbox()
    return count
