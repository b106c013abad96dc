"""Reaction listeners: the pin reaction (📌 by default) adds a message to the timeline."""

from __future__ import annotations

from typing import Any

from bot.runtime import Runtime
from bot.tickets.pins import pin_message


def reaction_name(event: dict[str, Any]) -> str:
    """The reaction without a skin-tone suffix ("pushpin::skin-tone-2" -> "pushpin")."""
    return str(event.get("reaction") or "").split("::", 1)[0]


def register_reactions(app: Any, rt: Runtime) -> None:
    """Attach the reaction_added listener to the Bolt app."""

    @app.event("reaction_added")  # type: ignore[untyped-decorator]
    async def on_reaction_added(event: dict[str, Any]) -> None:
        # Bolt has acked the delivery already; everything below is the flow's business.
        if reaction_name(event) != rt.settings.pin_reaction:
            return
        item = event.get("item") or {}
        channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
        if item.get("type") != "message" or not channel or not ts or not user:
            return
        await pin_message(rt, channel_id=str(channel), ts=str(ts), pinned_by=str(user))
