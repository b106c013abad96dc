"""Block Kit for replies in a thread: answers with their sources, questions with buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.chat.answers import Finding
from bot.slack_text import clip, escape

MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_CITATIONS = 12
LOOKING = "🔎 Looking through the record…"
CHOICE_ACTION_ID = "sj_chat_choice"


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)},
    }
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT_TEXT)}],
    }


def sources(citations: Sequence[str]) -> str:
    shown = [f"`{escape(clip(c, 80))}`" for c in list(dict.fromkeys(citations))[:MAX_CITATIONS]]
    more = len(set(citations)) - len(shown)
    return "Sources: " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def answer_blocks(findings: Sequence[Finding], footer: str = "") -> list[dict[str, Any]]:
    """One section per finding, then where it all came from."""
    blocks = [section(f.text()) for f in findings]
    citations = [c for f in findings for c in f.citations]
    notes = [part for part in (sources(citations) if citations else "", footer) if part]
    if notes:
        blocks.append(context(" · ".join(notes)))
    return blocks


def answer_text(findings: Sequence[Finding]) -> str:
    """The notification text (and what the safety check reads with the blocks)."""
    return clip(" / ".join(f.title for f in findings), 150)


def all_text(text: str, blocks: Sequence[dict[str, Any]]) -> str:
    """Every piece of text a message carries, for the safety check."""
    parts = [text]
    for block in blocks:
        parts.extend(_texts(block))
    return "\n".join(parts)


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            if key in ("text", "url", "value") and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_texts(item))
        return found
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


def choice_blocks(question: str, choices: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """A question with one button per choice; each value names what to propose."""
    buttons = [
        {
            "type": "button",
            "action_id": f"{CHOICE_ACTION_ID}_{index}",
            "text": {"type": "plain_text", "text": clip(label, 75)},
            "value": clip(value, 2000),
        }
        for index, (label, value) in enumerate(choices[:5])
    ]
    return [section(question), {"type": "actions", "block_id": "chat-choice", "elements": buttons}]
