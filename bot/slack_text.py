"""Safe text for Slack mrkdwn and Block Kit size limits."""

from __future__ import annotations

import re

# A user mention as Slack sends and renders it: <@U123> or <@U123|name>.
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]{2,20}(?:\|[^<>&]{0,80})?>")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def escape(text: str) -> str:
    """Neutralize mrkdwn control characters in untrusted text (mentions, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def escape_keeping_mentions(text: str) -> str:
    """Like `escape`, but user mentions stay mentions; <!channel> and links do not."""
    out: list[str] = []
    last = 0
    for match in _USER_MENTION.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def person(actor: str) -> str:
    """Who acted, as Slack shows people: "slack:U123" or "U123" become a mention."""
    candidate = actor.removeprefix("slack:")
    if _USER_ID.fullmatch(candidate):
        return f"<@{candidate}>"
    return escape_keeping_mentions(actor)
