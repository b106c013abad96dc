"""`/incident retriage` (and the card's Re-triage button): triage again, edit the card."""

from __future__ import annotations

from bot.commands.reply import NOT_IN_CHANNEL, CommandContext, CommandReply
from bot.domain.lifecycle import OPEN_STATUSES
from bot.incidents import service as incidents
from bot.runtime import Runtime
from bot.triage.rerun import request_retriage


async def retriage_flow(rt: Runtime, channel_id: str, user_id: str, why: str = "") -> str:
    """Queue a re-triage of the channel's incident; the answer says what will happen."""
    async with rt.sessions() as session, session.begin():
        incident = await incidents.find_by_channel(session, channel_id)
        if incident is None or incident.id is None:
            return NOT_IN_CHANNEL
        if incident.status not in OPEN_STATUSES:
            return f"Incident #{incident.id} is {incident.status}; there is nothing to re-triage."
        await request_retriage(rt, session, incident, f"slack:{user_id}", why or "asked by hand")
    rt.wake_outbox()
    return (
        f"🔄 Re-triaging incident #{incident.id} with the newest signals, changes and outcomes;"
        " the triage card will show what changed."
    )


async def retriage(ctx: CommandContext) -> CommandReply:
    return CommandReply(await retriage_flow(ctx.rt, ctx.channel_id, ctx.user_id, ctx.args))
