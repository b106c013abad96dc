"""The workspace's history as plain text a human can follow in a terminal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from .blocktext import render_blocks
from .models import EventKind, TimelineEvent
from .state import WorkspaceState

INDENT = "    "
_EXCERPT = 60
_TOKEN = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>|<(https?://[^>|]+)(?:\|([^>]*))?>")


def render_transcript(state: WorkspaceState, *, edits: Literal["full", "changes"] = "full") -> str:
    """Every recorded event in order, one line each (message bodies indented below).

    With `edits="changes"` an edited message shows only the lines that differ from its
    previous version: a card edited ten times stays readable in a terminal.
    """
    lines: list[str] = []
    seen: dict[tuple[str | None, str | None], list[str]] = {}
    for event in state.timeline:
        key = (event.channel_id, event.ts)
        if event.kind is EventKind.MESSAGE_EDITED and edits == "changes" and key in seen:
            lines.extend(_render_changes(state, event, seen[key]))
        else:
            lines.extend(_render(state, event))
        if event.kind in (EventKind.MESSAGE, EventKind.MESSAGE_EDITED):
            seen[key] = _body(state, event)
    return "\n".join(lines) + ("\n" if lines else "")


def _render_changes(state: WorkspaceState, event: TimelineEvent, before: list[str]) -> list[str]:
    who = f"@{state.user_name(event.actor)}"
    where = _where(state, event.channel_id)
    body = _body(state, event)
    title = next((line for line in body if line.startswith("==")), body[0] if body else "")
    previous = set(before)
    changed = [line for line in body if line not in previous]
    gone = len([line for line in before if line not in set(body)])
    head = f'{where} {who} edited "{title.strip("= ")}"'
    if not changed:
        return [f"{head} ({gone} line(s) removed)" if gone else f"{head} (no visible change)"]
    return [f"{head}:", *(f"{INDENT}{line}" for line in changed)]


def humanizer(state: WorkspaceState) -> Callable[[str], str]:
    """Turn Slack markup (<@U1>, <#C1>, <!subteam^S1>, <url|label>) into readable names."""

    def replace(match: re.Match[str]) -> str:
        sigil, ref, label, url, url_label = match.groups()
        if url:
            return f"{url_label} ({url})" if url_label else url
        if sigil == "@":
            return f"@{label or state.user_name(ref)}"
        if sigil == "#":
            channel = state.channels.get(ref)
            return f"#{label or (channel.name if channel else ref)}"
        if ref.startswith("subteam^"):
            group = state.usergroups.get(ref.removeprefix("subteam^"))
            return f"@{label or (group.handle if group else ref)}"
        return f"@{label or ref}"

    return lambda text: _TOKEN.sub(replace, text)


def _render(state: WorkspaceState, event: TimelineEvent) -> list[str]:
    who = f"@{state.user_name(event.actor)}"
    where = _where(state, event.channel_id)
    users = ", ".join(f"@{state.user_name(u)}" for u in event.users)
    via = f" (via {event.via})" if event.via else ""
    kind = event.kind
    if kind is EventKind.CHANNEL_CREATED:
        channel = state.channels.get(event.channel_id or "")
        private = " (private)" if channel and channel.is_private else ""
        return [f"{where} {who} created #{event.detail}{private}"]
    if kind is EventKind.TOPIC_SET:
        return [f"{where} {who} set the topic: {humanizer(state)(event.text)}"]
    if kind is EventKind.PURPOSE_SET:
        return [f"{where} {who} set the purpose: {humanizer(state)(event.text)}"]
    if kind is EventKind.INVITED:
        return [f"{where} {who} invited {users}"]
    if kind is EventKind.JOINED:
        return [f"{where} {who} joined"]
    if kind is EventKind.ARCHIVED:
        return [f"{where} {who} archived the channel"]
    if kind is EventKind.MESSAGE:
        thread = " (in thread)" if event.thread_ts and event.thread_ts != event.ts else ""
        return _with_body(state, f"{where} {who}{thread}{via}:", event)
    if kind is EventKind.MESSAGE_EDITED:
        return _with_body(state, f"{where} {who} edited a message{via}:", event)
    if kind is EventKind.MESSAGE_DELETED:
        return [f'{where} {who} deleted a message{via}: "{_excerpt(state, event)}"']
    if kind is EventKind.EPHEMERAL:
        verb = " replaced" if event.detail == "replaced" else ""
        return _with_body(state, f"{where} {who}{verb} (only visible to {users}){via}:", event)
    if kind is EventKind.PINNED:
        return [f'{where} {who} pinned a message: "{_excerpt(state, event)}"']
    if kind is EventKind.REACTION:
        return [f'{where} {who} reacted :{event.detail}: to "{_excerpt(state, event)}"']
    if kind is EventKind.BOOKMARK:
        return [f'{where} {who} bookmarked "{event.text}" ({event.detail})']
    if kind is EventKind.SLASH_COMMAND:
        return [f"{where} {who} ran {event.detail} {event.text}".rstrip()]
    if kind is EventKind.BUTTON_CLICK:
        return [f"{where} {who} clicked [{event.text}]"]
    if kind is EventKind.HOME_PUBLISHED:
        return [f"[home] {who} published the Home tab for {users}"]
    return [f'[modal] {who} opened "{event.text}" for {users}']


def _where(state: WorkspaceState, channel_id: str | None) -> str:
    channel = state.channels.get(channel_id or "")
    if channel is None:
        return f"[{channel_id}]"
    if channel.is_im:
        return f"[DM @{state.user_name(channel.name)}]"
    return f"[#{channel.name}]"


def _body(state: WorkspaceState, event: TimelineEvent) -> list[str]:
    humanize = humanizer(state)
    if event.blocks:
        return render_blocks(event.blocks, humanize)
    return humanize(event.text).splitlines()


def _with_body(state: WorkspaceState, head: str, event: TimelineEvent) -> list[str]:
    body = _body(state, event)
    if len(body) == 1 and not event.blocks:
        return [f"{head} {body[0]}"]
    return [head, *(f"{INDENT}{line}" for line in body)]


def _excerpt(state: WorkspaceState, event: TimelineEvent) -> str:
    lines = humanizer(state)(event.text).splitlines() or _body(state, event)
    first = next((line.strip() for line in lines if line.strip()), "")
    return first if len(first) <= _EXCERPT else first[: _EXCERPT - 3] + "..."
