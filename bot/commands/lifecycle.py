"""`/incident ack|mitigated|resolve|close`: the lifecycle, kept in step with the pager."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.reply import NOT_IN_CHANNEL, CommandContext, CommandReply, Subcommand
from bot.domain.events import EventKind
from bot.domain.lifecycle import LifecycleAction, TransitionRefused
from bot.eventlog import service as eventlog
from bot.incidents import jobs
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.paging import jobs as paging_jobs
from bot.runtime import Runtime
from bot.store.models import IncidentRow
from bot.tickets.resolution import on_resolved

PAGER_JOBS = {
    LifecycleAction.ACKNOWLEDGE: paging_jobs.ACKNOWLEDGE,
    LifecycleAction.RESOLVE: paging_jobs.RESOLVE,
}


def lifecycle(action: LifecycleAction) -> Subcommand:
    """A subcommand that applies one lifecycle action to the channel's incident."""

    async def run(ctx: CommandContext) -> CommandReply:
        rt = ctx.rt
        now = rt.clock()
        correlation_id = uuid.uuid4().hex
        async with rt.sessions() as session, session.begin():
            incident = await incidents.find_by_channel(session, ctx.channel_id)
            if incident is None or incident.id is None:
                return CommandReply(NOT_IN_CHANNEL)
            try:
                old, new = await incidents.transition(session, incident.id, action, now)
            except TransitionRefused as refused:
                eventlog.record(
                    session,
                    kind=EventKind.INCIDENT_TRANSITION_REFUSED,
                    actor=ctx.actor,
                    summary=str(refused),
                    correlation_id=correlation_id,
                    at=now,
                    incident_id=incident.id,
                    data={"action": action.value},
                )
                return CommandReply(f"Not done: {refused}.")
            eventlog.record(
                session,
                kind=EventKind.INCIDENT_TRANSITIONED,
                actor=ctx.actor,
                summary=f"<@{ctx.user_id}> moved the incident from {old.value} to {new.value}",
                correlation_id=correlation_id,
                at=now,
                incident_id=incident.id,
                data={"from": old.value, "to": new.value, "action": action.value},
            )
            await outbox.enqueue(
                session,
                kind=jobs.REFRESH_CARD,
                incident_id=incident.id,
                correlation_id=correlation_id,
                now=now,
                coalesce=True,
            )
            await _keep_pager_in_step(rt, session, incident, action, correlation_id, now)
            if action is LifecycleAction.RESOLVE:
                await on_resolved(session, incident.id, ctx.actor, correlation_id, now=now)
        rt.wake_outbox()
        return CommandReply(
            f"<@{ctx.user_id}> set incident #{incident.id} to *{new.value}*.", public=True
        )

    return run


async def _keep_pager_in_step(
    rt: Runtime,
    session: AsyncSession,
    incident: IncidentRow,
    action: LifecycleAction,
    correlation_id: str,
    now: datetime,
) -> None:
    """Acknowledge or resolve the page too, when this incident paged someone."""
    kind = PAGER_JOBS.get(action)
    if kind is None or rt.adapters.pager is None or incident.pager_dedup_key is None:
        return
    # Paging jobs carry the incident in the payload so they never hold up its Slack jobs.
    await outbox.enqueue(
        session,
        kind=kind,
        correlation_id=correlation_id,
        now=now,
        payload={"incident_id": incident.id},
    )
