"""Run `/incident …` as a user, signed, and read what the bot answered."""

from __future__ import annotations

from typing import Any

from integrations.slack.emulator import SlackDriver
from tests.support.harness import Harness, wait_until

GENERAL = "C0GENERAL"


async def slash(
    harness: Harness,
    channel: str,
    text: str,
    user: str = "U0ALICE",
    *,
    driver: SlackDriver | None = None,
) -> dict[str, Any]:
    """The response_url payload of one command: `text` and `response_type`."""
    state = harness.emulator.state
    before = len(state.response_posts)
    reply = await (driver or harness.driver).slash_command(
        user_id=user, channel_id=channel, text=text
    )
    assert reply.status == 200
    await wait_until(lambda: len(state.response_posts) > before, timeout=10)
    return dict(state.response_posts[before].payload)


def channel_of(harness: Harness, name: str) -> str:
    channel = harness.emulator.state.channel_by_name(name)
    assert channel is not None
    return str(channel.id)
