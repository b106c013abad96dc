"""What a subcommand gets (who, where, what) and what it answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.approvals.directory import GroupDirectory
from bot.runtime import Runtime

NOT_IN_CHANNEL = "Run this in an incident channel."


@dataclass(frozen=True)
class CommandReply:
    """The answer; `public` replies are announced to the channel, others only to the caller."""

    text: str
    public: bool = False


@dataclass(frozen=True)
class CommandContext:
    """One run of a subcommand: the runtime, the caller, the channel and the arguments."""

    rt: Runtime
    user_id: str
    channel_id: str
    args: str
    directory: GroupDirectory

    @property
    def actor(self) -> str:
        """The caller as the event log names people."""
        return f"slack:{self.user_id}"


Subcommand = Callable[[CommandContext], Awaitable[CommandReply]]
