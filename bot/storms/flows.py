"""Slack side of a storm: its channel and card, card edits, subsiding, its one page request.

Every step checks what is already done, so a job that crashed halfway can run again.
"""

from __future__ import annotations

from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES, IncidentStatus
from bot.incidents import service as incidents
from bot.incidents.flows import _ensure_channel, _load, _log, _save
from bot.outbox.service import Job
from bot.paging.request import request_page
from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.store.models import IncidentRow
from bot.storms import card
from bot.storms import service as storms
from bot.storms.tally import tally


async def _card(rt: Runtime, incident: IncidentRow) -> tuple[str, list[dict[str, object]]]:
    assert incident.id is not None
    async with rt.sessions() as session:
        counts = await tally(session, incident.id)
    return card.card_text(incident, counts), card.storm_card(incident, counts)


async def open_storm_channel(rt: Runtime, job: Job) -> None:
    """Create (or finish creating) the storm's channel, its card and the announcement."""
    assert job.incident_id is not None
    incident = await _load(rt, job.incident_id)
    assert incident.id is not None
    channel_id = await _ensure_channel(rt, job, incident)
    if not incident.topic_set:
        await rt.chat.set_topic(channel_id, card.topic(incident))
        await _save(rt, incident.id, topic_set=True)
    if not incident.responders_invited:
        skipped = await rt.chat.invite(channel_id, rt.settings.responders)
        await _save(rt, incident.id, responders_invited=True)
        if rt.settings.responders:
            invited = [u for u in rt.settings.responders if u not in skipped]
            await _log(
                rt,
                job,
                EventKind.SLACK_RESPONDERS_INVITED,
                f"Invited {len(invited)} responder(s)",
                invited=invited,
                skipped=skipped,
            )
    incident = await _load(rt, incident.id)
    assert incident.id is not None
    if incident.card_ts is None:
        card_ts = await rt.chat.find_own_message(channel_id, card.card_marker(incident.id))
        if card_ts is None:
            text, blocks = await _card(rt, incident)
            card_ts = await rt.chat.post(channel_id, text, blocks)
        await _save(rt, incident.id, card_ts=card_ts)
        await _log(
            rt,
            job,
            EventKind.SLACK_CARD_POSTED,
            "Posted the storm card",
            channel_id=channel_id,
            ts=card_ts,
        )
        incident.card_ts = card_ts
    if not incident.card_pinned:
        await rt.chat.pin(channel_id, incident.card_ts)
        await _save(rt, incident.id, card_pinned=True)
    announce_to = (rt.settings.announce_channel or "").lstrip("#")
    if announce_to and not incident.announced:
        async with rt.sessions() as session:
            counts = await tally(session, incident.id)
        reason = f"{len(counts.services)} services alerting at once."
        await rt.chat.post(announce_to, card.announcement(incident, channel_id, reason), [])
        await _save(rt, incident.id, announced=True)
        await _log(
            rt, job, EventKind.SLACK_ANNOUNCED, f"Announced in {announce_to}", channel=announce_to
        )


async def refresh_storm_card(rt: Runtime, job: Job) -> None:
    """Edit the storm card in place to show every alert it holds now."""
    assert job.incident_id is not None
    incident = await _load(rt, job.incident_id)
    if incident.channel_id is None or incident.card_ts is None:
        raise ChatError("card_missing", "the storm card is not posted yet", retryable=True)
    text, blocks = await _card(rt, incident)
    await rt.chat.update(incident.channel_id, incident.card_ts, text, blocks)


async def check_storm(rt: Runtime, job: Job) -> None:
    """Subside the storm once its breaker has closed; otherwise look again later."""
    storm_id = int(job.payload["incident_id"])
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        storm = await incidents.get(session, storm_id)
        if storm is None or storm.storm_subsided_at is not None:
            return
        if IncidentStatus(storm.status) not in OPEN_STATUSES or storm.open_group_key is None:
            return
        if await storms.breaker(session, rt.policy, storm.environment, now) is not None:
            await storms.schedule_check(session, storm_id, job.correlation_id, now)
            return
        window = rt.policy.rules.limits.circuit_breaker.window_minutes
        await storms.subside(
            session,
            storm,
            f"fewer services alerting in the last {window} min than the breaker's threshold",
            job.correlation_id,
            now,
        )
    rt.wake_outbox()


async def request_storm_page(rt: Runtime, job: Job) -> None:
    """Ask the paging gate, once for the whole storm, whether on-call is paged."""
    assert job.incident_id is not None
    async with rt.sessions() as session, session.begin():
        await request_page(
            rt,
            session,
            job.incident_id,
            reason=f"alert storm: {str(job.payload.get('reason', ''))[:400]}",
            correlation_id=job.correlation_id,
        )
    rt.wake_outbox()
