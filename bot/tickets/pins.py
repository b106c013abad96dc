"""Pin a channel message to the incident timeline (📌), once per message."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.slack_text import clip, person
from bot.store.models import PinRow
from bot.store.upsert import insert_if_absent
from bot.tickets.requests import request_sync

log = logging.getLogger(__name__)

MAX_TEXT = 3000
MAX_SUMMARY_TEXT = 300


def message_time(ts: str) -> datetime | None:
    """When a Slack message was posted, from its ts."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


async def pin_message(rt: Runtime, *, channel_id: str, ts: str, pinned_by: str) -> bool:
    """Add the message to its incident's timeline; False when ignored or already there."""
    async with rt.sessions() as session:
        incident = await incidents.find_by_channel(session, channel_id)
        if incident is None or incident.id is None:
            return False
        if await session.get(PinRow, (channel_id, ts)) is not None:
            return False
    message = await rt.chat.get_message(channel_id, ts)
    if message is None:
        log.info("pinned message %s in %s is gone or in a thread; not added", ts, channel_id)
        return False
    try:
        permalink = await rt.chat.permalink(channel_id, ts)
    except ChatError as exc:
        log.warning("no permalink for pinned message %s (%s)", ts, exc.code)
        permalink = ""
    posted = message_time(ts)
    when = f"{posted:%Y-%m-%d %H:%M:%S} UTC" if posted else ts
    text = " ".join(message.text.split())
    now = rt.clock()
    correlation_id = uuid.uuid4().hex
    async with rt.sessions() as session, session.begin():
        first = await insert_if_absent(
            session,
            PinRow,
            {
                "channel_id": channel_id,
                "message_ts": ts,
                "incident_id": incident.id,
                "pinned_at": now,
            },
            ["channel_id", "message_ts"],
        )
        if first is None:
            return False
        eventlog.record(
            session,
            kind=EventKind.TIMELINE_PINNED,
            summary=f"<@{pinned_by}> pinned a message by {person(message.user)} from {when}: "
            + clip(text, MAX_SUMMARY_TEXT),
            actor=f"slack:{pinned_by}",
            correlation_id=correlation_id,
            at=now,
            incident_id=incident.id,
            data={
                "author": message.user,
                "ts": ts,
                "posted_at": posted.isoformat() if posted else None,
                "text": clip(message.text, MAX_TEXT),
                "permalink": permalink,
                "pinned_by": pinned_by,
            },
        )
        await request_sync(session, incident.id, correlation_id, now)
    rt.wake_outbox()
    return True
