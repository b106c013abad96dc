"""Replies are safe by construction: no broadcasts, no strangers, no links from nowhere.

Record text is untrusted (alert annotations, change descriptions, responders' words): it
is escaped and defanged before it reaches a reply. `problems` is the last gate every reply
passes, the model's and the deterministic one alike.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.slack_text import clip, escape

_BROADCAST = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<!subteam\^[^>]*>|(?<![\w&])@(?:channel|here|everyone)\b",
    re.IGNORECASE,
)
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_ANGLE_LINK = re.compile(r"<((?:https?|ftp|mailto|slack)[^>|]*)(?:\|[^>]*)?>", re.IGNORECASE)
_BARE_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>|]+", re.IGNORECASE)
_WORD_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def untrusted(text: str, cap: int) -> str:
    """Record text made inert: escaped, clipped, no broadcast words, no live links."""
    text = clip(" ".join(text.split()), cap)
    text = escape(text)
    text = _WORD_BROADCAST.sub(r"(at)\1", text)
    return _BARE_URL.sub(lambda m: m.group(0).replace("://", "[:]//", 1), text)


def link(url: str, label: str) -> str:
    """A link to something the record holds (the caller passes only record links)."""
    if "|" in url or ">" in url or " " in url:
        return untrusted(url, 200)
    return f"<{url}|{escape(clip(label, 60))}>"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def problems(text: str, users: Collection[str], links: Collection[str]) -> list[str]:
    """Why `text` may not be posted; empty when it may."""
    found: list[str] = []
    if _BROADCAST.search(text):
        found.append("broadcast mention (@channel, @here, @everyone or a user group)")
    strangers = sorted({u for u in _USER_MENTION.findall(text) if u not in users})
    if strangers:
        found.append(f"mentions {len(strangers)} person(s) not in the record")
    angle = {m for m in _ANGLE_LINK.findall(text)}
    without_angle = _ANGLE_LINK.sub(" ", text)
    bare = set(_BARE_URL.findall(without_angle))
    foreign = sorted(u for u in angle | bare if u not in links)
    if foreign:
        found.append(f"{len(foreign)} link(s) not in the record")
    return found
