"""Safe text for Slack mrkdwn and Block Kit size limits."""

from __future__ import annotations


def escape(text: str) -> str:
    """Neutralize mrkdwn control characters in untrusted text (mentions, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
