"""What a person does on the page, delivered to the bot the way Slack delivers it.

Commands, clicks, reactions and Home visits are signed by the emulator's driver and
POSTed to the bot's /slack/events. Whatever the bot puts in its HTTP acknowledgement
(an error for an unknown subcommand, say) is shown to that person alone, as Slack
shows an ack body.
"""

from __future__ import annotations

import json
from typing import Any

from integrations.slack.emulator import SlackDriver
from integrations.slack.emulator.driver import DriverResponse


async def run_command(driver: SlackDriver, user: str, channel: str, text: str) -> int:
    """`/incident …` typed in a channel."""
    command, _, rest = text.strip().partition(" ")
    reply = await driver.slash_command(
        user_id=user, channel_id=channel, text=rest.strip(), command=command
    )
    _show_ack(driver, reply, user, channel)
    return reply.status


async def post_message(driver: SlackDriver, user: str, channel: str, text: str) -> int:
    """A plain message; one naming the bot is also an app_mention, as Slack sends both."""
    mention = f"<@{driver.emulator.state.bot_user_id}>"
    if mention in text or "@smokejumper" in text:
        reply = await driver.app_mention(user, channel, text.replace("@smokejumper", mention))
    else:
        reply = await driver.message(user, channel, text)
    return reply.status


async def click(
    driver: SlackDriver, user: str, channel: str, ts: str, action_id: str, value: str
) -> int:
    """A button on a message (or on an ephemeral message) clicked."""
    reply = await driver.click_button(
        user_id=user, channel_id=channel, message_ts=ts, action_id=action_id, value=value
    )
    _show_ack(driver, reply, user, channel)
    return reply.status


async def react(driver: SlackDriver, user: str, channel: str, ts: str, reaction: str) -> int:
    """An emoji reaction added to a message."""
    return (await driver.reaction_added(user, channel, ts, reaction)).status


async def open_home(driver: SlackDriver, user: str) -> int:
    """The app's Home tab opened."""
    return (await driver.app_home_opened(user)).status


def _show_ack(driver: SlackDriver, reply: DriverResponse, user: str, channel: str) -> None:
    body = _json(reply.text)
    if reply.status != 200:
        text = f'/incident failed with the error "dispatch_failed" (HTTP {reply.status})'
        driver.emulator.state.add_ephemeral(channel, visible_to=user, text=text, via="slack")
        return
    if body is None or not (body.get("text") or body.get("blocks")):
        return
    driver.emulator.state.add_ephemeral(
        channel,
        visible_to=user,
        text=str(body.get("text") or ""),
        blocks=body.get("blocks") if isinstance(body.get("blocks"), list) else None,
        via="ack",
    )


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        # Bolt acks a bare string as text/plain.
        return {"text": text}
    return value if isinstance(value, dict) else None
