"""A model's answer as a thread reply, and what the audit keeps of a conversation."""

from __future__ import annotations

from typing import Any

from bot.chat import views
from bot.chat.conversation import Conversation
from bot.chat.ports import ChatModel
from bot.chat.reply import Reply
from bot.slack_text import clip

MAX_ANSWER_CHARS = 2500


def model_reply(talk: Conversation) -> Reply:
    """The answer as the model wrote it (the safety check decides if it may go out)."""
    # Not escaped: a broadcast or a stranger's mention must reach the check and be refused,
    # not be quietly defused into a post.
    answer = clip(talk.reading.answer.strip(), MAX_ANSWER_CHARS)
    citations = talk.citations
    notes = [views.sources(citations)] if citations else []
    notes.append("read by the model from the record")
    blocks = [views.section(answer), views.context(" · ".join(notes))]
    return Reply(clip(answer, 150), blocks, citations, source="model")


def model_facts(model: ChatModel | None, talk: Conversation | None) -> dict[str, Any]:
    """The conversation's cost and outcome for the event log (tokens count per incident)."""
    if model is None or talk is None:
        return {"used": False}
    reading = talk.reading
    return {
        "used": True,
        "name": model.model,
        "read": reading.parsed.as_dict() if reading.parsed else None,
        "failure": reading.failure,
        "steps": reading.steps,
        "tokens": reading.tokens,
        "tools": list(reading.tools),
    }
