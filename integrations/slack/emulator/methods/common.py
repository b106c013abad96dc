"""Lookups and checks most Web API methods share."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import SlackError
from ..models import Channel, Message
from ..params import Params
from ..state import WorkspaceState

T = TypeVar("T")

Handler = Callable[[WorkspaceState, Params], dict[str, Any]]


def visible_channel(state: WorkspaceState, channel_id: str | None) -> Channel:
    """A channel the bot can see; private channels it is not in do not exist for it."""
    channel = state.channels.get(channel_id or "")
    if channel is None or (channel.is_private and not state.is_member(channel)):
        raise SlackError("channel_not_found")
    return channel


def writable_channel(state: WorkspaceState, channel_id: str | None) -> Channel:
    """A visible, unarchived channel the bot is a member of."""
    channel = visible_channel(state, channel_id)
    if channel.archived:
        raise SlackError("is_archived")
    if not state.is_member(channel):
        raise SlackError("not_in_channel")
    return channel


def existing_message(state: WorkspaceState, channel: Channel, ts: str | None) -> Message:
    """A message of the channel by ts."""
    message = state.find_message(channel.id, ts or "")
    if message is None:
        raise SlackError("message_not_found")
    return message


def paginate(
    items: Sequence[T], params: Params, *, default_limit: int, max_limit: int = 1000
) -> tuple[list[T], str]:
    """One page of items and the next_cursor ("" on the last page), as Slack's cursor scheme."""
    limit = params.integer("limit", default_limit)
    limit = default_limit if limit <= 0 else min(limit, max_limit)
    start = _decode_cursor(params.text("cursor"))
    page = list(items[start : start + limit])
    end = start + len(page)
    return page, _encode_cursor(end) if end < len(items) else ""


def ok(**fields: Any) -> dict[str, Any]:
    """A successful response body."""
    return {"ok": True, **fields}


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, offset = base64.b64decode(cursor, validate=True).decode().partition(":")
        if kind != "offset" or int(offset) < 0:
            raise ValueError(cursor)
        return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackError("invalid_cursor") from None
