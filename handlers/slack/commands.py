"""The `/incident` slash command: ack at once, then run the subcommand's flow."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.commands import CommandReply, run_incident_command
from bot.runtime import Runtime


def register_commands(app: Any, rt: Runtime) -> None:
    """Attach `/incident` to the Bolt app."""

    @app.command("/incident")  # type: ignore[untyped-decorator]
    async def incident_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        reply: CommandReply = await run_incident_command(
            rt,
            text=str(command.get("text", "")),
            user_id=str(command.get("user_id", "")),
            channel_id=str(command.get("channel_id", "")),
        )
        await respond(text=reply.text, response_type="in_channel" if reply.public else "ephemeral")
