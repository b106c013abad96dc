"""Post a collect_diagnostics result in the triage card's thread, once, and record it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat.ports import ThreadReplies
from bot.diagnostics.render import diagnostics_blocks, diagnostics_summary, diagnostics_text
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.store.models import ActionRow, EventRow
from bot.tickets.requests import request_sync

POST = "diagnostics.post"
DIAGNOSTICS = "collect_diagnostics"


async def queue_post(
    session: AsyncSession, row: ActionRow, correlation_id: str, now: datetime
) -> None:
    """Called in the transaction that records a successful collect_diagnostics."""
    await outbox.enqueue(
        session,
        kind=POST,
        incident_id=row.incident_id,
        correlation_id=correlation_id,
        now=now,
        payload={"action_id": row.id},
    )


async def post_diagnostics_job(rt: Runtime, threads: ThreadReplies, job: Job) -> None:
    action_id = int(job.payload["action_id"])
    async with rt.sessions() as session:
        row = await session.get(ActionRow, action_id)
        if row is None or row.action != DIAGNOSTICS:
            return
        incident = await incidents.get(session, row.incident_id)
        done = await session.exec(
            select(EventRow.id, EventRow.data).where(
                EventRow.incident_id == row.incident_id,
                EventRow.kind == EventKind.DIAGNOSTICS_POSTED.value,
            )
        )
        if any(data.get("action_id") == action_id for _, data in done.all()):
            return
    if incident is None or incident.channel_id is None:
        raise ChatError("channel_missing", "the incident channel is not open yet", retryable=True)
    thread = incident.triage_card_ts or incident.card_ts
    if thread is None:
        raise ChatError("card_missing", "no card to reply under yet", retryable=True)
    details = {str(k): str(v) for k, v in dict(row.result.get("details", {})).items()}
    ts = await threads.reply(
        incident.channel_id,
        thread,
        diagnostics_text(action_id, row.target),
        diagnostics_blocks(action_id, row.target, details),
    )
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        eventlog.record(
            session,
            kind=EventKind.DIAGNOSTICS_POSTED,
            summary=diagnostics_summary(row.target, details),
            actor="smokejumper",
            correlation_id=job.correlation_id,
            at=now,
            incident_id=row.incident_id,
            data={
                "action_id": action_id,
                "ts": ts,
                "thread_ts": thread,
                "restart_count": details.get("restart_count"),
                "last_termination": details.get("last_termination"),
                "logs": sorted(k for k in details if k.startswith("log:")),
            },
        )
        await request_sync(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()
