"""Pins, reactions and bookmarks: things attached to messages and channels."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from ..models import Bookmark, EventKind, Pin
from ..params import Params
from ..shapes import bookmark_json, message_json, permalink
from ..state import WorkspaceState
from .common import Handler, existing_message, ok, visible_channel, writable_channel

MAX_PINS = 100


def pins_add(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """pins.add."""
    channel = writable_channel(state, params.text("channel"))
    message = existing_message(state, channel, params.text("timestamp"))
    pins = state.pins.setdefault(channel.id, [])
    if any(pin.ts == message.ts for pin in pins):
        raise SlackError("already_pinned")
    if len(pins) >= MAX_PINS:
        raise SlackError("too_many_pins")
    pins.append(Pin(channel.id, message.ts, state.bot_user_id, state.now()))
    state.record(
        EventKind.PINNED,
        channel.id,
        state.bot_user_id,
        text=message.text,
        blocks=message.blocks,
        ts=message.ts,
    )
    return ok()


def pins_list(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """pins.list, newest pin first."""
    channel = visible_channel(state, params.text("channel"))
    items = []
    for pin in reversed(state.pins.get(channel.id, [])):
        message = state.find_message(channel.id, pin.ts)
        if message is None:
            continue
        body = message_json(state, message)
        body["permalink"] = permalink(state, message)
        items.append(
            {
                "type": "message",
                "created": pin.created,
                "created_by": pin.created_by,
                "channel": channel.id,
                "message": body,
            }
        )
    return ok(items=items)


def reactions_add(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """reactions.add; the emoji name may come with or without colons."""
    channel = visible_channel(state, params.text("channel"))
    message = existing_message(state, channel, params.text("timestamp"))
    name = (params.text("name") or "").strip(":")
    if not name:
        raise SlackError("invalid_name")
    if not state.add_reaction(message, user=state.bot_user_id, name=name):
        raise SlackError("already_reacted")
    return ok()


def bookmarks_add(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """bookmarks.add for link bookmarks."""
    channel = writable_channel(state, params.text("channel_id"))
    if params.text("type") != "link":
        raise SlackError("invalid_bookmark_type")
    title = params.text("title") or ""
    if not title:
        raise SlackError("invalid_arguments")
    link = params.text("link") or ""
    if not link.startswith(("http://", "https://")):
        raise SlackError("invalid_link")
    bookmark = Bookmark(
        id=state.next_id("Bk"),
        channel_id=channel.id,
        title=title,
        link=link,
        emoji=params.text("emoji"),
        created_by=state.bot_user_id,
        created=state.now(),
    )
    state.bookmarks.setdefault(channel.id, []).append(bookmark)
    state.record(EventKind.BOOKMARK, channel.id, state.bot_user_id, text=title, detail=link)
    return ok(bookmark=bookmark_json(state, bookmark))


def bookmarks_list(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """bookmarks.list."""
    channel = visible_channel(state, params.text("channel_id"))
    return ok(bookmarks=[bookmark_json(state, b) for b in state.bookmarks.get(channel.id, [])])


HANDLERS: dict[str, Handler] = {
    "bookmarks.add": bookmarks_add,
    "bookmarks.list": bookmarks_list,
    "pins.add": pins_add,
    "pins.list": pins_list,
    "reactions.add": reactions_add,
}
