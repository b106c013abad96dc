"""Mentions, channel messages and DMs: Bolt has acked them; the chat flow answers."""

from __future__ import annotations

import logging
from typing import Any

from bot.chat.flows import ChatService, Incoming

log = logging.getLogger(__name__)

# Edits, joins, bot posts and the like: not something a person said to us.
_IGNORED_SUBTYPES = frozenset(
    {
        "message_changed",
        "message_deleted",
        "bot_message",
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "pinned_item",
    }
)


def incoming(event: dict[str, Any], *, mention: bool) -> Incoming | None:
    """The message a human sent, or None for anything else."""
    if event.get("subtype") in _IGNORED_SUBTYPES or event.get("bot_id"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not user or not channel or not ts:
        return None
    thread = event.get("thread_ts")
    return Incoming(
        user=str(user),
        channel=str(channel),
        channel_type=str(event.get("channel_type") or ("im" if str(channel)[:1] == "D" else "")),
        text=str(event.get("text") or "")[:4000],
        ts=str(ts),
        thread_ts=str(thread) if thread and thread != ts else None,
        mention=mention,
    )


async def on_mention(service: ChatService, event: dict[str, Any]) -> None:
    message = incoming(event, mention=True)
    if message is None:
        return
    try:
        await service.on_mention(message)
    except Exception:
        log.exception("mention in %s not handled", message.channel)


async def on_message(service: ChatService, event: dict[str, Any]) -> None:
    message = incoming(event, mention=False)
    if message is None:
        return
    try:
        await service.on_message(message)
    except Exception:
        log.exception("message in %s not handled", message.channel)


async def on_choice(service: ChatService, body: dict[str, Any]) -> None:
    """A click on one of a question's buttons: the flow plans the completed request."""
    actions = body.get("actions") or [{}]
    user = str((body.get("user") or {}).get("id", ""))
    channel = str((body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    thread = str(message.get("thread_ts") or message.get("ts") or "")
    if not user or not channel or not thread:
        return
    try:
        await service.on_choice(user, channel, thread, str(actions[0].get("value", ""))[:2000])
    except Exception:
        log.exception("choice in %s not handled", channel)
