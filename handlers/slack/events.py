"""Events API listeners: mentions and the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.home import home_view
from bot.runtime import Runtime


def register_events(app: Any, rt: Runtime) -> None:
    """Attach event listeners to the Bolt app."""

    @app.event("app_mention")  # type: ignore[untyped-decorator]
    async def on_mention(event: dict[str, Any], say: Any) -> None:
        await say(
            text="I open a channel per alert and keep its card current. "
            "Type `/incident help` for what I can do here.",
            thread_ts=event.get("ts"),
        )

    @app.event("app_home_opened")  # type: ignore[untyped-decorator]
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await client.views_publish(user_id=event["user"], view=await home_view(rt))

    @app.event("message")  # type: ignore[untyped-decorator]
    async def on_message(event: dict[str, Any]) -> None:
        # Channel chatter is read by later stages (notes, reactions); nothing to do now,
        # but subscribing keeps Bolt from logging every message as unhandled.
        return None
