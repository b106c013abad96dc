"""Dry run: what an adapter would do, shown on the card before anyone clicks."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlmodel import col

from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards, request_of, tell_channel
from bot.actions.human import HUMAN_ACTIONS
from bot.actions.states import ActionState
from bot.actions.undo import undo_plan
from bot.domain.events import EventKind
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.runtime import Runtime
from bot.store.models import ActionRow

# The code adapters give a target that does not exist (Kubernetes: HTTP 404).
NOT_FOUND = "not_found"
_HUMAN_PLAN = {
    "page_oncall": "Page the on-call team through the configured pager.",
    "create_ticket": "Open a ticket in the configured ticket system, linked to this channel.",
    "escalate_to_human": "Hand the incident to a responder; nothing runs by itself.",
}


async def describe_job(rt: Runtime, job: Job) -> None:
    action_id = int(job.payload["action_id"])
    async with rt.sessions() as session:
        row = await actions.get(session, action_id)
    if row is None or row.plan is not None:
        return
    plan, missing = await _plan(rt, row)
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        if missing and await actions.move(
            session, action_id, ActionState.AWAITING_APPROVAL, ActionState.WITHDRAWN
        ):
            # Offering a button for something that does not exist would only fail later.
            log_action(
                session,
                row,
                EventKind.ACTION_WITHDRAWN,
                f"Not proposed: {row.action} on {row.target}: {plan[:300]}",
                correlation_id=job.correlation_id,
                at=now,
                plan=plan,
            )
            await tell_channel(
                session,
                row.incident_id,
                f"{row.action} on {row.target} is not proposed: {plan[:300]}",
                job.correlation_id,
                now,
            )
        await session.exec(
            update(ActionRow).where(col(ActionRow.id) == action_id).values(plan=plan)
        )
        if row.state == ActionState.SHADOWED.value:
            log_action(
                session,
                row,
                EventKind.ACTION_SHADOWED,
                f"Shadow mode: would have run {row.action} on {row.target}: {plan[:300]}",
                correlation_id=job.correlation_id,
                at=now,
                plan=plan,
            )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()


async def _plan(rt: Runtime, row: ActionRow) -> tuple[str, bool]:
    """The dry run's text, and whether it found that the target does not exist."""
    if row.action in HUMAN_ACTIONS:
        return _HUMAN_PLAN[row.action], False
    if row.undo_of is not None:
        return await undo_plan(rt, row), False
    remediator = rt.adapters.remediator_for(row.action)
    if remediator is None:
        text = f"No adapter is configured for {row.action}; approving it will fail and escalate."
        return text, False
    try:
        described = await asyncio.wait_for(
            remediator.describe(request_of(row)), timeout=rt.settings.action_timeout_seconds
        )
    except TimeoutError:
        return f"Dry run unavailable: {remediator.name} did not answer in time.", False
    except AdapterError as exc:
        if exc.code == NOT_FOUND:
            return f"the dry run found no such target ({exc.message[:300]})", True
        return f"Dry run unavailable ({exc.code}): {exc.message[:300]}", False
    return f"{described.summary} (via {described.adapter})", False
