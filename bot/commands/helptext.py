"""`/incident help`."""

from __future__ import annotations

from bot.commands.reply import CommandContext, CommandReply

HELP = """*`/incident` commands*
• `status` — this incident (state, policy, autonomy, approvals waiting), or the open incidents
• `declare [service:NAME] [sev:LEVEL] TITLE` — open an incident by hand, with its channel
• `ack` — acknowledge this incident
• `mitigated` — mark it mitigated
• `resolve` — mark it resolved
• `close` — close a resolved incident
• `note TEXT` — add a line to the timeline
• `timeline` — show the timeline
• `handoff [@person]` — post a handoff summary, optionally naming the next owner
• `commander [@person]` — take command of the incident (or name who has it)
• `page [TEAM]` — page on-call (decided by the policy; your request counts as approval)
• `ticket` — open the incident's ticket (decided by the policy like any action)
• `undo N` — propose undoing executed action #N through its adapter, dry run first
• `freeze [SERVICE|all|here] [for 30m|2h|1d] [REASON]` — stop everything the bot would run \
by itself, at once, on every replica (anyone may)
• `unfreeze [SERVICE|all|here]` — lift a freeze (whoever set it, or the human_only approvers)
• `mode shadow|assist|limited|paging|mim|reset [SERVICE|all|here]` — lower the autonomy \
mode (human_only approvers only)
• `split SERVICE` — move a service's alerts out of a storm into an incident of its own
• `help` — this list
A service the bot has not seen yet can be named as `service:NAME`."""


async def show_help(ctx: CommandContext) -> CommandReply:
    return CommandReply(HELP)
