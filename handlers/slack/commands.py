"""The `/incident` slash command: ack at once, then run the subcommand's flow."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.approvals.directory import GroupDirectory
from bot.commands import CommandReply, run_incident_command
from bot.runtime import Runtime

log = logging.getLogger(__name__)

FAILED = CommandReply("⚠️ Something went wrong running that; nothing may have changed. Try again.")


def register_commands(app: Any, rt: Runtime, directory: GroupDirectory) -> None:
    """Attach `/incident` to the Bolt app."""

    @app.command("/incident")  # type: ignore[untyped-decorator]
    async def incident_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            reply: CommandReply = await run_incident_command(
                rt,
                text=str(command.get("text", "")),
                user_id=str(command.get("user_id", "")),
                channel_id=str(command.get("channel_id", "")),
                directory=directory,
            )
        except Exception:
            log.exception("/incident %s failed", str(command.get("text", ""))[:40])
            reply = FAILED
        try:
            await respond(
                text=reply.text, response_type="in_channel" if reply.public else "ephemeral"
            )
        except Exception:
            # The work is done and recorded; only the answer could not be delivered.
            log.warning("/incident answer could not be posted to its response_url")
