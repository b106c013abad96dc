"""chat.* methods."""

from __future__ import annotations

from typing import Any

from ..blocks import read_blocks, with_block_ids
from ..errors import SlackError
from ..models import Channel
from ..params import Params
from ..shapes import message_json, permalink
from ..state import WorkspaceState
from .common import Handler, existing_message, ok, visible_channel, writable_channel

MAX_POST_TEXT = 40_000
MAX_UPDATE_TEXT = 4_000


def target_channel(state: WorkspaceState, ref: str | None) -> Channel:
    """The channel chat.postMessage means: an id, a #name, or a user id for the app's DM."""
    if not ref:
        raise SlackError("channel_not_found")
    user = state.users.get(ref)
    if user is not None and not user.is_bot:
        return state.ensure_im(user.id)
    channel = state.resolve_channel(ref)
    if channel is None:
        raise SlackError("channel_not_found")
    return visible_channel(state, channel.id)


def _content(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    text = params.text("text") or ""
    blocks = with_block_ids(read_blocks(params))
    attachments = params.structured("attachments", invalid_error="invalid_attachments")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    return text, blocks


def post_message(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """chat.postMessage."""
    channel = writable_channel(state, target_channel(state, params.text("channel")).id)
    text, blocks = _content(params)
    if len(text) > MAX_POST_TEXT:
        raise SlackError("msg_too_long")
    thread_ts = params.text("thread_ts") or None
    if thread_ts:
        # Replying to a reply threads under its parent, as Slack does.
        parent = state.find_message(channel.id, thread_ts)
        if parent is not None and parent.thread_ts:
            thread_ts = parent.thread_ts
    message = state.add_message(
        channel.id,
        user=state.bot_user_id,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
        reply_broadcast=bool(thread_ts) and params.flag("reply_broadcast"),
    )
    return ok(channel=channel.id, ts=message.ts, message=message_json(state, message))


def update(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """chat.update: only the bot's own messages, text capped at 4,000 characters."""
    channel = visible_channel(state, params.text("channel"))
    message = existing_message(state, channel, params.text("ts"))
    if message.user != state.bot_user_id:
        raise SlackError("cant_update_message")
    if channel.archived:
        raise SlackError("is_archived")
    text = params.text("text")
    blocks = with_block_ids(read_blocks(params))
    if text is not None and len(text) > MAX_UPDATE_TEXT:
        raise SlackError("msg_too_long")
    if not text and not blocks and not message.blocks and "attachments" not in params:
        raise SlackError("no_text")
    state.edit_message(message, text=text, blocks=blocks, actor=state.bot_user_id)
    return ok(
        channel=channel.id,
        ts=message.ts,
        text=message.text,
        message=message_json(state, message),
    )


def post_ephemeral(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """chat.postEphemeral: the recipient must be in the channel."""
    channel = writable_channel(state, target_channel(state, params.text("channel")).id)
    user_id = params.text("user") or ""
    if user_id not in state.users:
        raise SlackError("user_not_found")
    if not state.is_member(channel, user_id):
        raise SlackError("user_not_in_channel")
    text, blocks = _content(params)
    message = state.add_ephemeral(
        channel.id,
        visible_to=user_id,
        text=text,
        blocks=blocks,
        thread_ts=params.text("thread_ts") or None,
    )
    return ok(message_ts=message.ts)


def get_permalink(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """chat.getPermalink."""
    channel = visible_channel(state, params.text("channel"))
    message = existing_message(state, channel, params.text("message_ts"))
    return ok(channel=channel.id, permalink=permalink(state, message))


def delete(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """chat.delete: bots may delete only their own messages."""
    channel = visible_channel(state, params.text("channel"))
    message = existing_message(state, channel, params.text("ts"))
    if message.user != state.bot_user_id:
        raise SlackError("cant_delete_message")
    state.delete_message(message, actor=state.bot_user_id)
    return ok(channel=channel.id, ts=message.ts)


HANDLERS: dict[str, Handler] = {
    "chat.delete": delete,
    "chat.getPermalink": get_permalink,
    "chat.postEphemeral": post_ephemeral,
    "chat.postMessage": post_message,
    "chat.update": update,
}
