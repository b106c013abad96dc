"""The incident commander: who runs the incident, on the card and in the channel topic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.eventlog import service as eventlog
from bot.incidents import jobs as incident_jobs
from bot.incidents import service as incidents
from bot.incidents import views
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.chat import ChatError
from bot.runtime import Runtime

SET_TOPIC = "incident.set_topic"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    changed: bool


async def take_command(rt: Runtime, channel_id: str, commander: str, by: str) -> Reply:
    """Make `commander` the incident commander, as `by` asked; once per change."""
    now = rt.clock()
    correlation_id = uuid.uuid4().hex
    async with rt.sessions() as session, session.begin():
        incident = await incidents.find_by_channel(session, channel_id)
        if incident is None or incident.id is None:
            return Reply("Run this in an incident channel.", False)
        if incident.status not in OPEN_STATUSES:
            return Reply("This incident is not open any more.", False)
        if incident.owner == commander:
            return Reply(f"<@{commander}> is already the incident commander.", False)
        previous = incident.owner
        await incidents.set_fields(session, incident.id, owner=commander, updated_at=now)
        taken = commander == by
        eventlog.record(
            session,
            kind=EventKind.COMMANDER_SET,
            summary=(
                f"<@{by}> took command"
                if taken
                else f"<@{by}> made <@{commander}> the incident commander"
            ),
            actor=f"slack:{by}",
            correlation_id=correlation_id,
            at=now,
            incident_id=incident.id,
            data={"commander": commander, "previous": previous, "by": by},
        )
        for kind in (incident_jobs.REFRESH_CARD, SET_TOPIC):
            await outbox.enqueue(
                session,
                kind=kind,
                incident_id=incident.id,
                correlation_id=correlation_id,
                now=now,
                coalesce=True,
            )
    rt.wake_outbox()
    if taken:
        return Reply(f"🎖️ <@{by}> is now the incident commander.", True)
    return Reply(f"🎖️ <@{commander}> is now the incident commander (named by <@{by}>).", True)


async def set_topic_job(rt: Runtime, job: Job) -> None:
    """Put the current commander into the channel topic."""
    assert job.incident_id is not None
    async with rt.sessions() as session:
        incident = await incidents.get(session, job.incident_id)
    if incident is None:
        return
    if incident.channel_id is None:
        raise ChatError("channel_missing", "the channel is not created yet", retryable=True)
    await rt.chat.set_topic(incident.channel_id, views.topic(incident))
