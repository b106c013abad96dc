"""Route `/incident <subcommand> [args]` to its flow."""

from __future__ import annotations

from bot.approvals.directory import GroupDirectory
from bot.commands import (
    autonomy,
    declare,
    handoff,
    helptext,
    lifecycle,
    notes,
    retriage,
    split,
    status,
)
from bot.commands.console import commander, page, ticket, undo
from bot.commands.reply import CommandContext, CommandReply, Subcommand
from bot.domain.lifecycle import LifecycleAction
from bot.runtime import Runtime
from bot.slack_text import clip, escape

SUBCOMMANDS: dict[str, Subcommand] = {
    "help": helptext.show_help,
    "status": status.status,
    "declare": declare.declare,
    "ack": lifecycle.lifecycle(LifecycleAction.ACKNOWLEDGE),
    "mitigated": lifecycle.lifecycle(LifecycleAction.MITIGATE),
    "resolve": lifecycle.lifecycle(LifecycleAction.RESOLVE),
    "close": lifecycle.lifecycle(LifecycleAction.CLOSE),
    "note": notes.note,
    "timeline": notes.timeline,
    "handoff": handoff.handoff,
    "freeze": autonomy.freeze,
    "unfreeze": autonomy.unfreeze,
    "mode": autonomy.mode,
    "retriage": retriage.retriage,
    "page": page,
    "ticket": ticket,
    "undo": undo,
    "commander": commander,
    "split": split.split,
}


async def run_incident_command(
    rt: Runtime,
    *,
    text: str,
    user_id: str,
    channel_id: str,
    directory: GroupDirectory | None = None,
) -> CommandReply:
    """Dispatch `/incident <subcommand> [args]`; unknown input gets help, never a trace."""
    name, _, args = text.strip().partition(" ")
    handler = SUBCOMMANDS.get(name.lower() or "help")
    if handler is None:
        known = ", ".join(f"`{n}`" for n in SUBCOMMANDS)
        return CommandReply(f"Unknown subcommand `{escape(clip(name, 40))}`. Try: {known}.")
    context = CommandContext(
        rt=rt,
        user_id=user_id,
        channel_id=channel_id,
        args=args,
        directory=directory or GroupDirectory(rt.chat, rt.clock),
    )
    return await handler(context)
