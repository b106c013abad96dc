"""The expiry sweeper: a proposal nobody decided is retired on time, and its card edited."""

from __future__ import annotations

from bot.actions import jobs
from bot.actions import service as actions
from bot.actions.states import ActionState
from bot.approvals.flows import expire_proposal
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.runtime import Runtime


async def expire_job(rt: Runtime, job: Job) -> None:
    """Runs at the proposal's expiry (the job's not_before); a decided one is left alone."""
    action_id = int(job.payload["action_id"])
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        row = await actions.get(session, action_id)
        if row is None or row.state != ActionState.AWAITING_APPROVAL.value:
            return
        if now < row.expires_at:
            # Woken early (a replica's clock ahead of the writer's): look again on time.
            await outbox.enqueue(
                session,
                kind=jobs.EXPIRE,
                correlation_id=job.correlation_id,
                now=now,
                payload=dict(job.payload),
                not_before=row.expires_at,
            )
            return
        await expire_proposal(session, row, job.correlation_id, now)
    rt.wake_outbox()
