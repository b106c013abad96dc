"""The emulated Web API methods by name."""

from __future__ import annotations

from . import attachments, chat, conversations, people, views
from .common import Handler

METHODS: dict[str, Handler] = {
    **attachments.HANDLERS,
    **chat.HANDLERS,
    **conversations.HANDLERS,
    **people.HANDLERS,
    **views.HANDLERS,
}

__all__ = ["METHODS", "Handler"]
