"""Post the handoff: from the event log to the channel, the ticket and the page.

The channel gets the Block Kit document; the ticket gets its plain text through the
timeline sync (the HANDOFF_POSTED entry carries it, so it is written once, in order,
and survives a ticket outage); the pager incident gets it as a note.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.actions.common import BOT_ACTOR
from bot.console.commander import SET_TOPIC
from bot.console.feedback import escalation_of, feedback_blocks
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.handoff.build import build_handoff
from bot.handoff.jobs import PAGER_NOTE
from bot.handoff.prose import with_summary
from bot.handoff.render import notification_text, render_blocks, render_text
from bot.incidents import service as incidents
from bot.incidents.jobs import REFRESH_CARD
from bot.outbox import lane_names as lanes
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.slack_text import clip
from bot.tickets.links import channel_link
from bot.tickets.requests import request_sync

log = logging.getLogger(__name__)

# Slack's limit on blocks in one message.
MAX_MESSAGE_BLOCKS = 50


def _owner(payload: dict[str, Any]) -> str | None:
    owner = payload.get("owner")
    return owner.strip() if isinstance(owner, str) and owner.strip() else None


async def post_handoff_job(rt: Runtime, job: Job) -> None:
    """Build the handoff from the log, post it, record it, and pass it to ticket and pager."""
    if job.incident_id is None:
        return
    async with rt.sessions() as session:
        incident = await incidents.get(session, job.incident_id)
        if incident is None or incident.id is None:
            return
        events = await eventlog.timeline(session, incident.id)
    if any(e.kind == EventKind.HANDOFF_POSTED and e.data.get("job_id") == job.id for e in events):
        return  # this job got as far as recording its post before it was interrupted
    if incident.channel_id is None:
        raise ChatError("channel_missing", "the incident channel is not open yet", retryable=True)
    owner = _owner(job.payload)
    why = str(job.payload.get("why") or "handoff")
    actor = str(job.payload.get("actor") or BOT_ACTOR)
    doc = build_handoff(
        incident,
        events,
        now=rt.clock(),
        owner=owner,
        channel_url=await channel_link(rt, incident),
        ticket_url=incident.ticket_url,
    )
    doc = await with_summary(doc, rt.summary_writer)
    blocks = render_blocks(doc)
    escalation = escalation_of(events, job.correlation_id)
    if escalation is not None and escalation.id is not None:
        # The question always fits: the handoff gives up its last blocks first.
        asked = feedback_blocks(escalation.id)
        blocks = [*blocks[: MAX_MESSAGE_BLOCKS - len(asked)], *asked]
    ts = await rt.chat.post(incident.channel_id, notification_text(doc), blocks)
    text = render_text(doc)
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        if owner is not None:
            await incidents.set_fields(session, incident.id, owner=owner, updated_at=now)
            # The new owner is the commander: the card and the channel topic say so.
            for kind in (REFRESH_CARD, SET_TOPIC):
                await outbox.enqueue(
                    session,
                    kind=kind,
                    incident_id=incident.id,
                    correlation_id=job.correlation_id,
                    now=now,
                    coalesce=True,
                )
        eventlog.record(
            session,
            kind=EventKind.HANDOFF_POSTED,
            summary=f"Handoff posted ({clip(why, 200)})"
            + (f"; new owner <@{owner}>" if owner else ""),
            actor=actor,
            correlation_id=job.correlation_id,
            at=now,
            incident_id=incident.id,
            data={
                "owner": owner,
                "why": why,
                "ts": ts,
                "job_id": job.id,
                "summary_origin": doc.summary_origin.value,
                "text": text,
            },
        )
        await request_sync(session, incident.id, job.correlation_id, now)
        if incident.pager_dedup_key and rt.adapters.pager is not None:
            await outbox.enqueue(
                session,
                kind=PAGER_NOTE,
                lane=lanes.PAGER,
                correlation_id=job.correlation_id,
                now=now,
                payload={
                    "incident_id": incident.id,
                    "dedup_key": incident.pager_dedup_key,
                    "note": text,
                },
            )
    rt.wake_outbox()


async def pager_note_job(rt: Runtime, job: Job) -> None:
    """Add the handoff to the pager's incident; a retryable failure is retried by the outbox."""
    pager = rt.adapters.pager
    dedup_key = job.payload.get("dedup_key")
    note = job.payload.get("note")
    if pager is None or not isinstance(dedup_key, str) or not isinstance(note, str):
        return
    try:
        await pager.add_note(dedup_key, note)
    except AdapterError as exc:
        if exc.retryable:
            raise
        # Nothing a retry could fix (notes not configured, say); the channel has the handoff.
        log.warning("handoff note to %s refused (%s); not retried", pager.name, exc.code)
