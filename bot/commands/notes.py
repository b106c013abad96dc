"""`/incident note` and `/incident timeline`."""

from __future__ import annotations

import uuid

from bot.commands.reply import NOT_IN_CHANNEL, CommandContext, CommandReply
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.slack_text import clip, escape_keeping_mentions, person

TIMELINE_SHOWN = 40


async def note(ctx: CommandContext) -> CommandReply:
    text = ctx.args.strip()
    if not text:
        return CommandReply("Usage: `/incident note TEXT`")
    async with ctx.rt.sessions() as session, session.begin():
        incident = await incidents.find_by_channel(session, ctx.channel_id)
        if incident is None:
            return CommandReply(NOT_IN_CHANNEL)
        eventlog.record(
            session,
            kind=EventKind.NOTE_ADDED,
            actor=ctx.actor,
            summary=text[:3000],
            correlation_id=uuid.uuid4().hex,
            at=ctx.rt.clock(),
            incident_id=incident.id,
        )
    return CommandReply(
        f"📝 <@{ctx.user_id}> noted: {escape_keeping_mentions(clip(text, 2800))}", public=True
    )


async def timeline(ctx: CommandContext) -> CommandReply:
    async with ctx.rt.sessions() as session:
        incident = await incidents.find_by_channel(session, ctx.channel_id)
        if incident is None or incident.id is None:
            return CommandReply(NOT_IN_CHANNEL)
        entries = await eventlog.timeline(session, incident.id)
    lines = [
        f"`{e.at.strftime('%H:%M:%S')}Z` {escape_keeping_mentions(clip(e.summary, 200))}"
        f" — _{person(e.actor)}_"
        for e in entries[-TIMELINE_SHOWN:]
    ]
    return CommandReply(clip(f"*Timeline of #{incident.id}*\n" + "\n".join(lines), 3900))
