"""What `smokejumper sandbox` prints: the requests, the Slack conversation, the ticket."""

from __future__ import annotations

from bot.demo.peers import SandboxPeers
from integrations.slack.emulator import render_transcript


def render_report(log: list[str], peers: SandboxPeers) -> str:
    """The story's log, then the conversation the bot had in the emulated workspace."""
    return "\n".join(
        [
            "== smokejumper sandbox ==",
            "",
            *log,
            "",
            "== the Slack conversation ==",
            "",
            render_transcript(peers.slack.state, edits="changes"),
        ]
    )
