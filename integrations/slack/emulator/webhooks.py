"""response_url handling: what a POST to a command's or interaction's response_url does."""

from __future__ import annotations

import uuid
from typing import Any

from .blocks import validate_blocks
from .errors import SlackError
from .models import EventKind, ResponseUrl, ResponseUrlPost
from .state import WorkspaceState

# Slack: a response_url can be used "up to 5 times within 30 minutes".
MAX_USES = 5
VIA = "response_url"


def register(
    state: WorkspaceState,
    kind: str,
    *,
    channel_id: str | None = None,
    user_id: str | None = None,
    message_ts: str | None = None,
) -> ResponseUrl:
    """Issue a response_url id bound to where the command or click happened."""
    hook = ResponseUrl(
        id=uuid.uuid4().hex,
        kind=kind,
        channel_id=channel_id,
        user_id=user_id,
        message_ts=message_ts,
    )
    state.response_urls[hook.id] = hook
    return hook


def deliver(state: WorkspaceState, hook: ResponseUrl, payload: dict[str, Any]) -> ResponseUrlPost:
    """Record a post and apply it: reply in channel, ephemerally, or to the original message."""
    if hook.uses >= MAX_USES:
        raise SlackError("used_url")
    blocks = payload.get("blocks")
    if blocks is not None:
        payload = {**payload, "blocks": validate_blocks(blocks)}
    hook.uses += 1
    post = ResponseUrlPost(hook.id, hook.kind, hook.channel_id, hook.user_id, payload)
    state.response_posts.append(post)
    if hook.channel_id is None:
        return post
    original = state.find_message(hook.channel_id, hook.message_ts) if hook.message_ts else None
    if post.delete_original and original is not None:
        state.delete_message(original, actor=state.bot_user_id, via=VIA)
    elif post.replace_original and original is not None:
        state.edit_message(
            original,
            text=post.text,
            blocks=post.blocks,
            actor=state.bot_user_id,
            via=VIA,
        )
    elif post.replace_original and hook.message_ts:
        ephemeral = state.find_ephemeral(hook.channel_id, hook.message_ts)
        if ephemeral is not None:
            ephemeral.text, ephemeral.blocks = post.text, post.blocks
            state.record(
                EventKind.EPHEMERAL,
                hook.channel_id,
                state.bot_user_id,
                text=post.text,
                blocks=post.blocks,
                users=(ephemeral.visible_to,),
                ts=ephemeral.ts,
                via=VIA,
                detail="replaced",
            )
    elif post.response_type == "in_channel":
        state.add_message(
            hook.channel_id,
            user=state.bot_user_id,
            text=post.text,
            blocks=post.blocks,
            thread_ts=_thread_ts(payload),
            via=VIA,
        )
    elif hook.user_id is not None and not post.delete_original:
        state.add_ephemeral(
            hook.channel_id,
            visible_to=hook.user_id,
            text=post.text,
            blocks=post.blocks,
            thread_ts=_thread_ts(payload),
            via=VIA,
        )
    return post


def _thread_ts(payload: dict[str, Any]) -> str | None:
    value = payload.get("thread_ts")
    return str(value) if value else None
