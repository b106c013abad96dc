"""conversations.* methods."""

from __future__ import annotations

import re
from typing import Any

from ..errors import SlackError
from ..models import Channel, EventKind
from ..params import Params
from ..shapes import channel_json, message_json
from ..state import WorkspaceState
from .common import Handler, ok, paginate, visible_channel, writable_channel

_NAME_CHARS = re.compile(r"[a-z0-9_-]+")
MAX_NAME = 80
MAX_TOPIC = 250


def validate_channel_name(name: str) -> None:
    """Slack's rule: lowercase letters, digits, hyphens and underscores, at most 80 characters."""
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > MAX_NAME:
        raise SlackError("invalid_name_maxlength")
    if not _NAME_CHARS.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")


def create(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.create: the creating bot becomes the creator and first member."""
    name = params.text("name") or ""
    validate_channel_name(name)
    # Archived channels keep their names, so they still collide.
    if state.channel_by_name(name) is not None:
        raise SlackError("name_taken")
    channel = state.add_channel(
        name,
        creator=state.bot_user_id,
        is_private=params.flag("is_private"),
        members=[state.bot_user_id],
    )
    return ok(channel=channel_json(state, channel))


def invite(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.invite: all-or-nothing unless `force` is set."""
    channel = visible_channel(state, params.text("channel"))
    if channel.archived:
        raise SlackError("is_archived")
    users = params.csv("users")
    if not users:
        raise SlackError("no_user")
    if not state.is_member(channel):
        raise SlackError("not_in_channel")
    errors: list[dict[str, Any]] = []
    valid: list[str] = []
    for user_id in dict.fromkeys(users):
        error = _invite_error(state, channel, user_id)
        if error:
            errors.append({"user": user_id, "ok": False, "error": error})
        else:
            valid.append(user_id)
    if errors and not (params.flag("force") and valid):
        raise SlackError(errors[0]["error"], errors=errors)
    channel.members.extend(valid)
    state.record(EventKind.INVITED, channel.id, state.bot_user_id, users=valid)
    body = ok(channel=channel_json(state, channel))
    if errors:
        body["errors"] = errors
    return body


def _invite_error(state: WorkspaceState, channel: Channel, user_id: str) -> str | None:
    if user_id == state.bot_user_id:
        return "cant_invite_self"
    user = state.users.get(user_id)
    if user is None or user.deleted:
        return "user_not_found"
    if user_id in channel.members:
        return "already_in_channel"
    return None


def set_topic(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.setTopic."""
    channel = writable_channel(state, params.text("channel"))
    topic = params.text("topic") or ""
    if len(topic) > MAX_TOPIC:
        raise SlackError("too_long")
    channel.topic, channel.topic_creator, channel.topic_last_set = (
        topic,
        state.bot_user_id,
        state.now(),
    )
    state.record(EventKind.TOPIC_SET, channel.id, state.bot_user_id, text=topic)
    return ok(channel=channel_json(state, channel))


def set_purpose(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.setPurpose."""
    channel = writable_channel(state, params.text("channel"))
    purpose = params.text("purpose") or ""
    if len(purpose) > MAX_TOPIC:
        raise SlackError("too_long")
    channel.purpose, channel.purpose_creator, channel.purpose_last_set = (
        purpose,
        state.bot_user_id,
        state.now(),
    )
    state.record(EventKind.PURPOSE_SET, channel.id, state.bot_user_id, text=purpose)
    return ok(channel=channel_json(state, channel))


def info(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.info."""
    return ok(channel=channel_json(state, visible_channel(state, params.text("channel"))))


def list_(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.list with types, exclude_archived and cursor pagination."""
    types = set(params.csv("types") or ["public_channel"])
    unknown = types - {"public_channel", "private_channel", "mpim", "im"}
    if unknown:
        raise SlackError("invalid_types")
    exclude_archived = params.flag("exclude_archived")
    channels = [
        channel
        for channel in state.channels.values()
        if _channel_type(channel) in types
        and not (exclude_archived and channel.archived)
        and (not channel.is_private or state.is_member(channel))
    ]
    page, next_cursor = paginate(channels, params, default_limit=100)
    return ok(
        channels=[channel_json(state, c) for c in page],
        response_metadata={"next_cursor": next_cursor},
    )


def _channel_type(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    return "private_channel" if channel.is_private else "public_channel"


def members(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.members with cursor pagination."""
    channel = visible_channel(state, params.text("channel"))
    page, next_cursor = paginate(channel.members, params, default_limit=100)
    return ok(members=page, response_metadata={"next_cursor": next_cursor})


def join(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.join: public channels only."""
    channel = visible_channel(state, params.text("channel"))
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.archived:
        raise SlackError("is_archived")
    if state.is_member(channel):
        return ok(
            channel=channel_json(state, channel),
            warning="already_in_channel",
            response_metadata={"warnings": ["already_in_channel"]},
        )
    channel.members.append(state.bot_user_id)
    state.record(EventKind.JOINED, channel.id, state.bot_user_id)
    return ok(channel=channel_json(state, channel))


def archive(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.archive."""
    channel = visible_channel(state, params.text("channel"))
    if channel.archived:
        raise SlackError("already_archived")
    if channel.is_general:
        raise SlackError("cant_archive_general")
    if channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if not state.is_member(channel):
        raise SlackError("not_in_channel")
    channel.archived = True
    state.record(EventKind.ARCHIVED, channel.id, state.bot_user_id)
    return ok()


def history(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.history: top-level messages (and broadcast replies), newest first."""
    channel = visible_channel(state, params.text("channel"))
    if not state.is_member(channel):
        raise SlackError("not_in_channel")
    oldest = _bound(params, "oldest", 0.0)
    latest = _bound(params, "latest", float("inf"))
    inclusive = params.flag("inclusive")

    def in_window(ts: str) -> bool:
        value = float(ts)
        if inclusive:
            return oldest <= value <= latest
        return oldest < value < latest

    candidates = [
        m
        for m in reversed(state.messages.get(channel.id, []))
        if (not m.is_reply or m.reply_broadcast) and in_window(m.ts)
    ]
    page, next_cursor = paginate(candidates, params, default_limit=100, max_limit=999)
    pin_count = len(state.pins.get(channel.id, []))
    return ok(
        messages=[message_json(state, m) for m in page],
        has_more=bool(next_cursor),
        pin_count=pin_count,
        response_metadata={"next_cursor": next_cursor},
    )


def _bound(params: Params, name: str, default: float) -> float:
    raw = params.text(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SlackError(f"invalid_ts_{name}") from None


def replies(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.replies: the parent followed by its replies, oldest first."""
    channel = visible_channel(state, params.text("channel"))
    if not state.is_member(channel):
        raise SlackError("not_in_channel")
    parent = state.find_message(channel.id, params.text("ts") or "")
    if parent is None:
        raise SlackError("thread_not_found")
    thread_ts = parent.thread_ts or parent.ts
    thread = [
        m
        for m in state.messages.get(channel.id, [])
        if m.ts == thread_ts or m.thread_ts == thread_ts
    ]
    page, next_cursor = paginate(thread, params, default_limit=1000)
    return ok(
        messages=[message_json(state, m) for m in page],
        has_more=bool(next_cursor),
        response_metadata={"next_cursor": next_cursor},
    )


def open_(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """conversations.open for a one-to-one DM with the app."""
    users = params.csv("users")
    if not users and "channel" in params:
        return ok(channel={"id": visible_channel(state, params.text("channel")).id})
    if len(users) != 1:
        raise SlackError("users_list_not_supplied" if not users else "not_supported")
    user = state.users.get(users[0])
    if user is None or user.deleted:
        raise SlackError("user_not_found")
    return ok(channel={"id": state.ensure_im(user.id).id})


HANDLERS: dict[str, Handler] = {
    "conversations.archive": archive,
    "conversations.create": create,
    "conversations.history": history,
    "conversations.info": info,
    "conversations.invite": invite,
    "conversations.join": join,
    "conversations.list": list_,
    "conversations.members": members,
    "conversations.open": open_,
    "conversations.replies": replies,
    "conversations.setPurpose": set_purpose,
    "conversations.setTopic": set_topic,
}
