"""JSON shapes of Slack objects as the Web API returns them."""

from __future__ import annotations

from typing import Any

from .models import Bookmark, Channel, EmulatedUser, EmulatedUsergroup, Message
from .state import WorkspaceState


def channel_json(state: WorkspaceState, channel: Channel) -> dict[str, Any]:
    """A conversation object seen from the bot."""
    if channel.is_im:
        other = next((m for m in channel.members if m != state.bot_user_id), channel.name)
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": other,
            "is_user_deleted": False,
            "priority": 0,
        }
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": channel.archived,
        "is_general": channel.is_general,
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": state.team_id,
        "updated": channel.created * 1000,
        "parent_conversation": None,
        "creator": channel.creator,
        "is_member": state.is_member(channel),
        "topic": {
            "value": channel.topic,
            "creator": channel.topic_creator,
            "last_set": channel.topic_last_set,
        },
        "purpose": {
            "value": channel.purpose,
            "creator": channel.purpose_creator,
            "last_set": channel.purpose_last_set,
        },
        "previous_names": [],
        "num_members": len(channel.members),
    }


def message_json(state: WorkspaceState, message: Message) -> dict[str, Any]:
    """A message object as history and chat.* return it."""
    body: dict[str, Any] = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": state.team_id,
    }
    if message.blocks:
        body["blocks"] = message.blocks
    if message.bot_id:
        body["bot_id"] = message.bot_id
        body["app_id"] = message.app_id
        body["bot_profile"] = {
            "id": message.bot_id,
            "app_id": message.app_id,
            "name": state.bot_name,
            "deleted": False,
            "team_id": state.team_id,
        }
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
        if message.is_reply:
            body["parent_user_id"] = _parent_user(state, message)
            if message.reply_broadcast:
                body["subtype"] = "thread_broadcast"
    replies = [
        m
        for m in state.messages.get(message.channel_id, [])
        if m.is_reply and m.thread_ts == message.ts
    ]
    if replies:
        body["thread_ts"] = message.ts
        body["reply_count"] = len(replies)
        body["reply_users"] = list(dict.fromkeys(m.user for m in replies))
        body["latest_reply"] = replies[-1].ts
    if message.edited_ts:
        body["edited"] = {"user": message.user, "ts": message.edited_ts}
    if message.reactions:
        body["reactions"] = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in message.reactions.items()
            if users
        ]
    pinned = [p.channel_id for p in state.pins.get(message.channel_id, []) if p.ts == message.ts]
    if pinned:
        body["pinned_to"] = pinned
    return body


def user_json(state: WorkspaceState, user: EmulatedUser) -> dict[str, Any]:
    """A user object as users.info returns it."""
    first, _, last = user.real_name.partition(" ")
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "first_name": first,
        "last_name": last,
        "title": user.title,
        "team": state.team_id,
    }
    if user.email:
        profile["email"] = user.email
    if user.is_bot:
        profile["bot_id"] = state.bot_id if user.id == state.bot_user_id else None
        profile["api_app_id"] = state.app_id if user.id == state.bot_user_id else None
    return {
        "id": user.id,
        "team_id": state.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": user.tz,
        "tz_offset": 0,
        "is_admin": False,
        "is_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 0,
        "profile": profile,
    }


def usergroup_json(
    state: WorkspaceState, group: EmulatedUsergroup, *, include_users: bool
) -> dict[str, Any]:
    """A user group object as usergroups.list returns it."""
    body: dict[str, Any] = {
        "id": group.id,
        "team_id": state.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": group.name,
        "description": group.description,
        "handle": group.handle,
        "is_external": False,
        "date_create": 0,
        "date_update": 0,
        "date_delete": 1 if group.disabled else 0,
        "auto_type": None,
        "created_by": state.bot_user_id,
        "updated_by": state.bot_user_id,
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "user_count": len(group.users),
    }
    if include_users:
        body["users"] = list(group.users)
    return body


def bookmark_json(state: WorkspaceState, bookmark: Bookmark) -> dict[str, Any]:
    """A bookmark object as bookmarks.add returns it."""
    return {
        "id": bookmark.id,
        "channel_id": bookmark.channel_id,
        "title": bookmark.title,
        "link": bookmark.link,
        "emoji": bookmark.emoji,
        "icon_url": None,
        "type": "link",
        "entity_id": None,
        "date_created": bookmark.created,
        "date_updated": 0,
        "rank": "U",
        "last_updated_by_user_id": bookmark.created_by,
        "last_updated_by_team_id": state.team_id,
        "shortcut_id": None,
        "app_id": state.app_id,
    }


def permalink(state: WorkspaceState, message: Message) -> str:
    """The archive URL Slack shows for a message."""
    url = (
        f"https://{state.team_domain}.slack.com/archives/"
        f"{message.channel_id}/p{message.ts.replace('.', '')}"
    )
    if message.is_reply:
        url += f"?thread_ts={message.thread_ts}&cid={message.channel_id}"
    return url


def _parent_user(state: WorkspaceState, reply: Message) -> str:
    parent = state.find_message(reply.channel_id, reply.thread_ts or "")
    return parent.user if parent else reply.user
