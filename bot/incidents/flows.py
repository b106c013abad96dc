"""Slack side of an incident: channel, topic, invites, pinned card, announcements.

Every step checks what is already done before doing it, so a job that crashed halfway
can simply run again.
"""

from __future__ import annotations

import logging

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.incidents import views
from bot.incidents.naming import channel_name
from bot.outbox.service import Job
from bot.ports.chat import ChannelInfo, ChannelNameTaken, ChatError
from bot.runtime import Runtime
from bot.store.models import IncidentRow
from bot.triage import flows as triage_flows

log = logging.getLogger(__name__)

BOT_ACTOR = "smokejumper"
MAX_NAME_SUFFIX = 20


async def _load(rt: Runtime, incident_id: int) -> IncidentRow:
    async with rt.sessions() as session:
        incident = await incidents.get(session, incident_id)
    if incident is None:
        raise ChatError("incident_missing", f"incident {incident_id} is gone", retryable=False)
    return incident


async def _save(rt: Runtime, incident_id: int, **values: object) -> None:
    async with rt.sessions() as session, session.begin():
        await incidents.set_fields(session, incident_id, **values)


async def _log(rt: Runtime, job: Job, kind: EventKind, summary: str, **data: object) -> None:
    async with rt.sessions() as session, session.begin():
        eventlog.record(
            session,
            kind=kind,
            summary=summary,
            actor=BOT_ACTOR,
            correlation_id=job.correlation_id,
            at=rt.clock(),
            incident_id=job.incident_id,
            data=dict(data),
        )


def _purpose(incident: IncidentRow) -> str:
    return f"smokejumper incident {incident.correlation_id}"


async def _ensure_channel(rt: Runtime, job: Job, incident: IncidentRow) -> str:
    if incident.channel_id:
        return incident.channel_id
    assert incident.id is not None
    suffix = 0
    name = incident.channel_name or channel_name(
        rt.settings.channel_name_template,
        service=incident.service,
        number=incident.id,
        when=incident.triggered_at,
    )
    while True:
        await job.hold()
        # The name is saved before the create call, so a retry asks for the same name and
        # finds its own channel rather than making a second one.
        if name != incident.channel_name:
            await _save(rt, incident.id, channel_name=name)
            incident.channel_name = name
        try:
            info = await rt.chat.create_channel(name)
            await rt.chat.set_purpose(info.id, _purpose(incident))
            await _save(rt, incident.id, channel_id=info.id)
            await _log(
                rt,
                job,
                EventKind.SLACK_CHANNEL_CREATED,
                f"Created #{info.name}",
                channel_id=info.id,
                channel_name=info.name,
            )
            return info.id
        except ChannelNameTaken:
            await job.hold()
            existing = await rt.chat.find_channel(name)
            if existing is not None and await _is_ours(rt, existing, incident):
                await rt.chat.set_purpose(existing.id, _purpose(incident))
                await _save(rt, incident.id, channel_id=existing.id)
                await _log(
                    rt,
                    job,
                    EventKind.SLACK_CHANNEL_ADOPTED,
                    f"Reused #{existing.name}, created for this incident by an earlier try",
                    channel_id=existing.id,
                    channel_name=existing.name,
                )
                return existing.id
            suffix += 1
            if suffix > MAX_NAME_SUFFIX:
                raise ChatError(
                    "name_taken", f"no free channel name near #{name}", retryable=False
                ) from None
            name = channel_name(
                rt.settings.channel_name_template,
                service=incident.service,
                number=incident.id,
                when=incident.triggered_at,
                suffix=suffix + 1,
            )


async def _is_ours(rt: Runtime, channel: ChannelInfo, incident: IncidentRow) -> bool:
    """Our channel from an interrupted try: made by this bot, purpose empty or ours."""
    if channel.creator != await rt.chat.bot_user_id():
        return False
    return channel.purpose in ("", _purpose(incident))


async def open_incident_channel(rt: Runtime, job: Job) -> None:
    """Create (or finish creating) the incident's channel, card and announcement."""
    assert job.incident_id is not None
    incident = await _load(rt, job.incident_id)
    assert incident.id is not None
    channel_id = await _ensure_channel(rt, job, incident)

    if not incident.topic_set:
        await job.hold()
        await rt.chat.set_topic(channel_id, views.topic(incident))
        await _save(rt, incident.id, topic_set=True)

    if not incident.responders_invited:
        await job.hold()
        responders = rt.settings.responders
        skipped = await rt.chat.invite(channel_id, responders)
        await _save(rt, incident.id, responders_invited=True)
        invited = [user for user in responders if user not in skipped]
        if responders:
            await _log(
                rt,
                job,
                EventKind.SLACK_RESPONDERS_INVITED,
                f"Invited {len(invited)} responder(s)",
                invited=invited,
                skipped=skipped,
            )

    incident_id = incident.id
    incident = await _load(rt, incident_id)
    card_ts = incident.card_ts
    if card_ts is None:
        await job.hold()
        marker = views.card_marker(incident_id)
        card_ts = await rt.chat.find_own_message(channel_id, marker)
        if card_ts is None:
            card_ts = await rt.chat.post(
                channel_id, views.card_text(incident), views.incident_card(incident)
            )
        await _save(rt, incident_id, card_ts=card_ts)
        await _log(
            rt,
            job,
            EventKind.SLACK_CARD_POSTED,
            "Posted the incident card",
            channel_id=channel_id,
            ts=card_ts,
        )

    if not incident.card_pinned:
        await job.hold()
        await rt.chat.pin(channel_id, card_ts)
        await _save(rt, incident_id, card_pinned=True)

    if incident.triage_card_ts is None:
        await job.hold()
        await triage_flows.post_placeholder(rt, incident, channel_id)

    await _announce(rt, job, incident_id, channel_id)


async def _announce(rt: Runtime, job: Job, incident_id: int, channel_id: str) -> None:
    """The one-line announcement, once: by the saved flag, else by its marker in the
    channel (a run that posted it and stopped before saving the flag)."""
    announce_to = (rt.settings.announce_channel or "").lstrip("#")
    if not announce_to:
        return
    incident = await _load(rt, incident_id)
    if incident.announced:
        return
    await job.hold()
    marker = views.announcement_marker(incident_id)
    if await rt.chat.find_own_message(announce_to, marker) is None:
        text = views.announcement(incident, channel_id)
        await rt.chat.post(announce_to, text, views.announcement_blocks(incident_id, text))
    await _save(rt, incident_id, announced=True)
    await _log(
        rt, job, EventKind.SLACK_ANNOUNCED, f"Announced in {announce_to}", channel=announce_to
    )


async def refresh_card(rt: Runtime, job: Job) -> None:
    """Edit the pinned card in place to match the incident now."""
    assert job.incident_id is not None
    incident = await _load(rt, job.incident_id)
    if incident.channel_id is None or incident.card_ts is None:
        raise ChatError("card_missing", "the card is not posted yet", retryable=True)
    await rt.chat.update(
        incident.channel_id,
        incident.card_ts,
        views.card_text(incident),
        views.incident_card(incident),
    )


async def announce_signal_resolved(rt: Runtime, job: Job) -> None:
    """Tell the channel that the alert behind the incident has recovered."""
    assert job.incident_id is not None
    incident = await _load(rt, job.incident_id)
    if incident.channel_id is None:
        raise ChatError("channel_missing", "the channel is not created yet", retryable=True)
    text = views.signal_resolved_message(
        str(job.payload.get("alertname", "alert")), str(job.payload.get("summary", ""))
    )
    await rt.chat.post(incident.channel_id, text, [])
    await refresh_card(rt, job)


async def post_note(rt: Runtime, job: Job) -> None:
    """Post a line of text in the incident channel."""
    assert job.incident_id is not None
    incident = await _load(rt, job.incident_id)
    if incident.channel_id is None:
        raise ChatError("channel_missing", "the channel is not created yet", retryable=True)
    blocks = job.payload.get("blocks")
    await rt.chat.post(
        incident.channel_id,
        str(job.payload.get("text", "")),
        list(blocks) if isinstance(blocks, list) else [],
    )
