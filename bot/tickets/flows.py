"""Ticket jobs: open the ticket, write the timeline to its work notes, resolve it.

Each job runs in its incident's lane of the outbox (one at a time, in order) and is safe
to run again: the ticket is found by correlation id, a work-note batch by its batch id,
and a resolved ticket stays resolved.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.actions.common import BOT_ACTOR, tell_channel
from bot.domain.events import EventKind
from bot.domain.lifecycle import IncidentStatus
from bot.eventlog import service as eventlog
from bot.handoff import build_handoff, render_text
from bot.incidents import jobs as incident_jobs
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.ports.ticketing import Ticketing
from bot.runtime import Runtime
from bot.store.models import EventRow, IncidentRow
from bot.tickets import jobs, outage
from bot.tickets import service as tickets
from bot.tickets.draft import latest_report, ticket_draft
from bot.tickets.links import channel_link

log = logging.getLogger(__name__)

# Batches one job writes before letting the lane's other jobs (channel posts) run.
MAX_BATCHES_PER_JOB = 10
DONE_STATUSES = frozenset({IncidentStatus.RESOLVED.value, IncidentStatus.CLOSED.value})


async def _incident(rt: Runtime, incident_id: int) -> IncidentRow | None:
    async with rt.sessions() as session:
        return await incidents.get(session, incident_id)


async def _requeue(rt: Runtime, job: Job, kind: str, incident_id: int) -> None:
    async with rt.sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            kind=kind,
            incident_id=incident_id,
            correlation_id=job.correlation_id,
            now=rt.clock(),
            coalesce=True,
        )
    rt.wake_outbox()


async def create_ticket_job(rt: Runtime, job: Job) -> None:
    """Open the incident's ticket (or find the one a lost reply made) and show it on the card."""
    ticketing = rt.adapters.ticketing
    if ticketing is None or job.incident_id is None:
        return
    incident = await _incident(rt, job.incident_id)
    if incident is None or incident.id is None:
        return
    incident_id = incident.id
    if incident.ticket_sys_id is None:
        async with rt.sessions() as session:
            report = await latest_report(session, incident_id)
        draft = ticket_draft(incident, report, await channel_link(rt, incident))
        try:
            ref = await ticketing.find_or_create(draft)
        except AdapterError as exc:
            await outage.park(rt, job, jobs.CREATE, incident_id, exc)
            return
        now = rt.clock()
        async with rt.sessions() as session, session.begin():
            if await tickets.save_ticket(session, incident_id, ref, now):
                eventlog.record(
                    session,
                    kind=EventKind.TICKET_CREATED,
                    summary=f"Opened {ref.number} in {outage.system_name(ticketing.name)}",
                    actor=BOT_ACTOR,
                    correlation_id=job.correlation_id,
                    at=now,
                    incident_id=incident_id,
                    data={"number": ref.number, "url": ref.url, "sys_id": ref.sys_id},
                )
                await outbox.enqueue(
                    session,
                    kind=incident_jobs.REFRESH_CARD,
                    incident_id=incident_id,
                    correlation_id=job.correlation_id,
                    now=now,
                    coalesce=True,
                )
            await outage.note_success(rt, session, incident_id, job.correlation_id, now)
    # The timeline so far goes in now; a resolve that came first is carried out too.
    await _requeue(rt, job, jobs.SYNC, incident_id)
    if incident.status in DONE_STATUSES:
        await _requeue(rt, job, jobs.RESOLVE, incident_id)


async def _write_notes(rt: Runtime, ticketing: Ticketing, incident_id: int, job: Job) -> bool:
    """Write up to MAX_BATCHES_PER_JOB batches; True when the timeline is all written."""
    for _ in range(MAX_BATCHES_PER_JOB):
        async with rt.sessions() as session, session.begin():
            batch = await tickets.next_batch(session, incident_id)
        if batch is None:
            return True
        sent = bool(batch.text.strip())
        if sent:
            await ticketing.append_work_notes(batch.ref, batch.batch_id, batch.text)
        now = rt.clock()
        async with rt.sessions() as session, session.begin():
            await tickets.finish_batch(session, incident_id, batch)
            if sent:
                await outage.note_success(rt, session, incident_id, job.correlation_id, now)
    return False


async def sync_job(rt: Runtime, job: Job) -> None:
    """Append the timeline entries not yet in the ticket, in order, each exactly once."""
    ticketing = rt.adapters.ticketing
    if ticketing is None or job.incident_id is None:
        return
    if not job.payload.get("round"):
        incident = await _incident(rt, job.incident_id)
        if incident is None or incident.ticket_sync_failing:
            # A parked retry is on its way and writes everything up to then; trying now
            # would only hold up the channel's messages behind another failure.
            return
    try:
        done = await _write_notes(rt, ticketing, job.incident_id, job)
    except AdapterError as exc:
        await outage.park(rt, job, jobs.SYNC, job.incident_id, exc)
        return
    if not done:
        await _requeue(rt, job, jobs.SYNC, job.incident_id)


def _close_notes(incident: IncidentRow, events: list[EventRow], now: datetime) -> str:
    """The handoff posted on resolution, else one built from the log now."""
    resolved_at = 0
    for event in events:
        moved_to = event.data.get("to")
        if event.kind == EventKind.INCIDENT_TRANSITIONED and moved_to in DONE_STATUSES:
            resolved_at = event.id or 0
    for event in reversed(events):
        if (event.id or 0) <= resolved_at:
            break
        text = event.data.get("text") if event.kind == EventKind.HANDOFF_POSTED else None
        if isinstance(text, str) and text.strip():
            return text
    doc = build_handoff(incident, events, now=now, ticket_url=incident.ticket_url)
    return render_text(doc)


async def resolve_job(rt: Runtime, job: Job) -> None:
    """Write the rest of the timeline, then resolve the ticket with the handoff as close notes."""
    ticketing = rt.adapters.ticketing
    if ticketing is None or job.incident_id is None:
        return
    incident = await _incident(rt, job.incident_id)
    if incident is None or incident.id is None:
        return
    ref = tickets.ticket_of(incident)
    if ref is None:
        # The create job resolves a ticket it opens for an incident already resolved.
        return
    if incident.status not in DONE_STATUSES:
        log.info("incident %s was reopened before its ticket was resolved", incident.id)
        return
    incident_id = incident.id
    try:
        if not await _write_notes(rt, ticketing, incident_id, job):
            await _requeue(rt, job, jobs.RESOLVE, incident_id)
            return
        async with rt.sessions() as session:
            events = await eventlog.timeline(session, incident_id)
        await ticketing.resolve(ref, _close_notes(incident, events, rt.clock()))
    except AdapterError as exc:
        await outage.park(rt, job, jobs.RESOLVE, incident_id, exc)
        return
    now = rt.clock()
    system = outage.system_name(ticketing.name)
    async with rt.sessions() as session, session.begin():
        await outage.note_success(rt, session, incident_id, job.correlation_id, now)
        await tell_channel(
            session,
            incident_id,
            f"🎫 {ref.number} is resolved in {system}.",
            job.correlation_id,
            now,
        )
    rt.wake_outbox()


async def retry_job(rt: Runtime, job: Job) -> None:
    """Put a parked ticket job back into its incident's lane, now that its wait is over."""
    kind = str(job.payload.get("kind", ""))
    incident_id = job.payload.get("incident_id")
    if kind not in jobs.RETRYABLE_KINDS or not isinstance(incident_id, int):
        log.error("ticket retry %s has an unusable payload; dropped", job.id)
        return
    async with rt.sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            kind=kind,
            incident_id=incident_id,
            correlation_id=job.correlation_id,
            now=rt.clock(),
            # Not coalesced: a waiting first-try sync would stand down while failing.
            payload={"round": int(job.payload.get("round", 0))},
        )
    rt.wake_outbox()
