"""`/incident page [team]`, `ticket`, `undo N` and `commander @person`."""

from __future__ import annotations

import re

from bot.actions import service as actions
from bot.actions.undo import undo_refusal
from bot.commands.handoff import USAGE as HANDOFF_USAGE
from bot.commands.handoff import _Unclear, owner_of
from bot.commands.reply import NOT_IN_CHANNEL, CommandContext, CommandReply
from bot.console.commander import take_command
from bot.console.request import Wanted, request_action
from bot.incidents import service as incidents
from bot.slack_text import clip, escape
from bot.store.models import IncidentRow

_TEAM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PAGE_USAGE = "Usage: `/incident page [TEAM]` (a team name such as `checkout-oncall`)"
UNDO_USAGE = "Usage: `/incident undo N`, N being the action's number (#N) on the triage card"


async def _incident(ctx: CommandContext) -> IncidentRow | None:
    async with ctx.rt.sessions() as session:
        return await incidents.find_by_channel(session, ctx.channel_id)


async def page(ctx: CommandContext) -> CommandReply:
    team = ctx.args.strip().lower().lstrip("@")
    if team and not _TEAM.match(team):
        return CommandReply(f"`{escape(clip(team, 40))}` is not a team name.\n{PAGE_USAGE}")
    incident = await _incident(ctx)
    if incident is None or incident.id is None:
        return CommandReply(NOT_IN_CHANNEL)
    wanted = Wanted(
        action="page_oncall",
        target=incidents.incident_subject(incident).target,
        params={"team": team} if team else {},
        rationale=f"<@{ctx.user_id}> asked to page on-call" + (f" ({team})" if team else ""),
    )
    text = await request_action(
        ctx.rt, ctx.directory, ctx.user_id, ctx.channel_id, incident.id, wanted
    )
    return CommandReply(text)


async def ticket(ctx: CommandContext) -> CommandReply:
    if ctx.args.strip():
        return CommandReply("Usage: `/incident ticket` (no arguments)")
    incident = await _incident(ctx)
    if incident is None or incident.id is None:
        return CommandReply(NOT_IN_CHANNEL)
    if incident.ticket_ref:
        return CommandReply(f"This incident already has ticket {escape(incident.ticket_ref)}.")
    wanted = Wanted(
        action="create_ticket",
        target=incidents.incident_subject(incident).target,
        params={},
        rationale=f"<@{ctx.user_id}> asked for a ticket",
    )
    text = await request_action(
        ctx.rt, ctx.directory, ctx.user_id, ctx.channel_id, incident.id, wanted
    )
    return CommandReply(text)


async def undo(ctx: CommandContext) -> CommandReply:
    arg = ctx.args.strip().lstrip("#")
    if not arg.isdigit() or len(arg) > 12:
        return CommandReply(UNDO_USAGE)
    return CommandReply(await request_undo(ctx, int(arg)))


async def request_undo(ctx: CommandContext, action_id: int) -> str:
    """Propose the undo of action #`action_id` of this channel's incident."""
    async with ctx.rt.sessions() as session:
        incident = await incidents.find_by_channel(session, ctx.channel_id)
        row = await actions.get(session, action_id)
    if incident is None or incident.id is None:
        return NOT_IN_CHANNEL
    if row is None or row.incident_id != incident.id:
        return f"This incident has no action #{action_id}.\n{UNDO_USAGE}"
    refusal = undo_refusal(row, ctx.rt.policy)
    if refusal is not None:
        return f"Action #{action_id} cannot be undone: {escape(refusal)}."
    wanted = Wanted(
        action=row.action,
        target=row.target,
        params=dict(row.params),
        rationale=f"<@{ctx.user_id}> asked to undo action #{action_id}",
        undo_of=action_id,
        approve_as_requester=False,
    )
    return await request_action(
        ctx.rt, ctx.directory, ctx.user_id, ctx.channel_id, incident.id, wanted
    )


async def commander(ctx: CommandContext) -> CommandReply:
    try:
        named = owner_of(ctx.args)
    except _Unclear as unclear:
        return CommandReply(str(unclear).replace(HANDOFF_USAGE, COMMANDER_USAGE))
    who = named or ctx.user_id
    reply = await take_command(ctx.rt, ctx.channel_id, who, ctx.user_id)
    return CommandReply(reply.text, public=reply.changed)


COMMANDER_USAGE = "Usage: `/incident commander [@person]` (yourself when nobody is named)"
