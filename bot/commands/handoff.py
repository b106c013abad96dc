"""`/incident handoff [@person]`: ask for a handoff summary, naming the next owner if given."""

from __future__ import annotations

import re
import uuid

from bot.commands.reply import NOT_IN_CHANNEL, CommandContext, CommandReply
from bot.handoff.requests import request_handoff
from bot.incidents import service as incidents
from bot.slack_text import clip, escape

USAGE = "Usage: `/incident handoff [@person]`"
# Escaped mentions arrive as <@U123> or <@U123|name>; a bare member id is accepted too.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


class _Unclear(ValueError):
    pass


def owner_of(args: str) -> str | None:
    """The user id named in `args`, None when nobody is; _Unclear when it cannot tell."""
    text = args.strip()
    if not text:
        return None
    if len(text.split()) > 1:
        raise _Unclear(f"Name one person at most.\n{USAGE}")
    mention = _MENTION.match(text)
    if mention is not None:
        return mention.group(1)
    if _USER_ID.match(text):
        return text
    if text.startswith("@"):
        raise _Unclear(
            f"I cannot tell who `{escape(clip(text, 40))}` is: Slack sent the name as plain"
            " text. Pick the person from Slack's @-menu so it becomes a mention (the command"
            " needs `should_escape: true` in the app manifest), or give their member id (U…)."
        )
    raise _Unclear(f"`{escape(clip(text, 40))}` is not a person.\n{USAGE}")


async def handoff(ctx: CommandContext) -> CommandReply:
    try:
        owner = owner_of(ctx.args)
    except _Unclear as unclear:
        return CommandReply(str(unclear))
    rt = ctx.rt
    correlation_id = uuid.uuid4().hex
    async with rt.sessions() as session, session.begin():
        incident = await incidents.find_by_channel(session, ctx.channel_id)
        if incident is None or incident.id is None:
            return CommandReply(NOT_IN_CHANNEL)
        await request_handoff(
            session,
            incident.id,
            owner,
            ctx.actor,
            f"requested by <@{ctx.user_id}>",
            correlation_id,
            now=rt.clock(),
        )
    rt.wake_outbox()
    to = f" to <@{owner}>" if owner else ""
    return CommandReply(
        f"🤝 <@{ctx.user_id}> asked for a handoff of incident #{incident.id}{to};"
        " the summary is on its way.",
        public=True,
    )
