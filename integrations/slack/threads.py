"""`SlackThreads`: replies in a message's thread on the Slack Web API."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports.chat import ChatError


class SlackThreads:
    """Thread replies and their edits; the client's handlers retry 429 and 5xx."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def reply(
        self, channel: str, thread_ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> str:
        try:
            response = await self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks or None,
                # No previews of whatever a reply cites, and no @-name resolution.
                unfurl_links=False,
                unfurl_media=False,
                link_names=False,
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown_error"))
            raise ChatError(
                code, f"Slack chat.postMessage failed: {code}", retryable=False
            ) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ChatError(
                "connection_error", f"Slack unreachable: {type(exc).__name__}", retryable=True
            ) from None
        return str(response["ts"])

    async def edit(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        try:
            await self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown_error"))
            raise ChatError(code, f"Slack chat.update failed: {code}", retryable=False) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ChatError(
                "connection_error", f"Slack unreachable: {type(exc).__name__}", retryable=True
            ) from None
