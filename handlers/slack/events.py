"""Events API listeners: mentions, channel messages and DMs, and the App Home tab."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.flows import ChatService
from bot.chat.views import CHOICE_ACTION_ID
from bot.commands.retriage import retriage_flow
from bot.home import home_view
from bot.runtime import Runtime
from bot.triage.card import RETRIAGE_ACTION_ID
from handlers.slack import chat

log = logging.getLogger(__name__)


def register_events(app: Any, rt: Runtime, service: ChatService) -> None:
    """Attach event listeners to the Bolt app."""

    @app.event("app_mention")  # type: ignore[untyped-decorator]
    async def on_mention(event: dict[str, Any]) -> None:
        await chat.on_mention(service, event)

    @app.event("app_home_opened")  # type: ignore[untyped-decorator]
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await client.views_publish(user_id=event["user"], view=await home_view(rt))

    @app.event("message")  # type: ignore[untyped-decorator]
    async def on_message(event: dict[str, Any]) -> None:
        await chat.on_message(service, event)

    @app.action(re.compile(rf"^{CHOICE_ACTION_ID}_\d+$"))  # type: ignore[untyped-decorator]
    async def on_choice(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await chat.on_choice(service, body)

    @app.action(RETRIAGE_ACTION_ID)  # type: ignore[untyped-decorator]
    async def on_retriage(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        user = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        try:
            text = await retriage_flow(rt, channel, user, "Re-triage button")
        except Exception:
            log.exception("re-triage in %s failed", channel)
            text = "⚠️ The re-triage could not be queued; nothing changed. Try again."
        await respond(text=text, response_type="ephemeral", replace_original=False)
