"""`/incident split SERVICE`: give a service caught in a storm its own incident."""

from __future__ import annotations

from bot.commands.reply import CommandContext, CommandReply
from bot.storms.requests import split_in_channel


async def split(ctx: CommandContext) -> CommandReply:
    result = await split_in_channel(ctx.rt, ctx.channel_id, ctx.args, ctx.actor)
    return CommandReply(result.message, public=result.incident_id is not None)
