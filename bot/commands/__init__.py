"""`/incident` subcommands as flows, independent of Slack's request handling."""

from __future__ import annotations

from bot.commands.dispatch import SUBCOMMANDS, run_incident_command
from bot.commands.reply import CommandContext, CommandReply

__all__ = ["SUBCOMMANDS", "CommandContext", "CommandReply", "run_incident_command"]
