"""`SlackWorkspace`: the ChatWorkspace capability on the Slack Web API."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.clock import REAL_TIME, TimeSource
from bot.domain.retry import retryable_status
from bot.ports.chat import ChannelInfo, ChannelNameTaken, ChatError, ChatMessage
from integrations.slack.config import SlackConfig
from integrations.slack.pacing import Pacer

# Slack's error codes after which a later attempt can succeed (HTTP statuses follow the
# shared table in bot.domain.retry); everything else needs a fix.
RETRYABLE_ERRORS = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)

T = TypeVar("T")

# Conversation ids; channel names are lower case, so the two never look alike.
_CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9]{2,}")


def _classify(exc: Exception, method: str) -> ChatError:
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error", "unknown_error"))
        retryable = code in RETRYABLE_ERRORS or retryable_status(exc.response.status_code)
        return ChatError(code, f"Slack {method} failed: {code}", retryable=retryable)
    return ChatError(
        "connection_error", f"Slack {method} unreachable: {type(exc).__name__}", retryable=True
    )


def _channel_info(channel: dict[str, Any]) -> ChannelInfo:
    return ChannelInfo(
        id=channel["id"],
        name=channel["name"],
        creator=channel.get("creator", ""),
        purpose=(channel.get("purpose") or {}).get("value", ""),
    )


class SlackWorkspace:
    """Channel and message operations with pacing, retries and idempotent semantics."""

    def __init__(
        self, client: AsyncWebClient, config: SlackConfig, time: TimeSource = REAL_TIME
    ) -> None:
        self._client = client
        self._config = config
        self._pacer = Pacer(time)
        self._bot_user_id: str | None = None
        self._channel_ids: dict[str, str] = {}

    @property
    def client(self) -> AsyncWebClient:
        return self._client

    async def _call(self, method: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            raise _classify(exc, method) from None

    async def bot_user_id(self) -> str:
        if self._bot_user_id is None:
            response = await self._call("auth.test", self._client.auth_test)
            self._bot_user_id = str(response["user_id"])
        return self._bot_user_id

    async def check_auth(self) -> None:
        await self._call("auth.test", self._client.auth_test)

    async def create_channel(self, name: str) -> ChannelInfo:
        per_second = self._config.channel_create_per_minute / 60.0
        await self._pacer.acquire("conversations.create", per_second, burst=3)
        try:
            response = await self._client.conversations_create(name=name, is_private=False)
        except SlackApiError as exc:
            if exc.response.get("error") == "name_taken":
                raise ChannelNameTaken(name) from None
            raise _classify(exc, "conversations.create") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _classify(exc, "conversations.create") from None
        channel = response["channel"]
        return _channel_info(channel)

    async def find_channel(self, name: str) -> ChannelInfo | None:
        cursor: str | None = None
        while True:
            response: AsyncSlackResponse = await self._call(
                "conversations.list",
                lambda cursor=cursor: self._client.conversations_list(  # type: ignore[misc]
                    types="public_channel,private_channel", limit=200, cursor=cursor
                ),
            )
            for channel in response["channels"]:
                if channel["name"] == name:
                    return _channel_info(channel)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None

    async def set_topic(self, channel_id: str, topic: str) -> None:
        await self._call(
            "conversations.setTopic",
            lambda: self._client.conversations_setTopic(channel=channel_id, topic=topic[:250]),
        )

    async def set_purpose(self, channel_id: str, purpose: str) -> None:
        await self._call(
            "conversations.setPurpose",
            lambda: self._client.conversations_setPurpose(
                channel=channel_id, purpose=purpose[:250]
            ),
        )

    async def invite(self, channel_id: str, user_ids: list[str]) -> list[str]:
        """Invite users; those already in, or unknown, are reported rather than fatal."""
        skipped: list[str] = []
        if not user_ids:
            return skipped
        try:
            await self._client.conversations_invite(channel=channel_id, users=user_ids)
            return skipped
        except SlackApiError as exc:
            code = exc.response.get("error")
            if code not in {"already_in_channel", "user_not_found", "cant_invite_self"}:
                raise _classify(exc, "conversations.invite") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _classify(exc, "conversations.invite") from None
        # One bad id fails the whole batch, so retry one by one to invite the rest.
        for user in user_ids:
            try:
                await self._client.conversations_invite(channel=channel_id, users=[user])
            except SlackApiError as exc:
                code = exc.response.get("error")
                if code in {"already_in_channel", "user_not_found", "cant_invite_self"}:
                    if code != "already_in_channel":
                        skipped.append(user)
                    continue
                raise _classify(exc, "conversations.invite") from None
        return skipped

    async def _pace_message(self, channel: str) -> None:
        rate = self._config.messages_per_second_per_channel
        await self._pacer.acquire(f"chat:{channel}", rate, burst=3)

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
        await self._pace_message(channel)
        try:
            response = await self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks or None, unfurl_links=False
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "not_in_channel":
                raise _classify(exc, "chat.postMessage") from None
            # Public announcement channels: join once, then post.
            await self._call(
                "conversations.join", lambda: self._client.conversations_join(channel=channel)
            )
            response = await self._call(
                "chat.postMessage",
                lambda: self._client.chat_postMessage(
                    channel=channel, text=text, blocks=blocks or None, unfurl_links=False
                ),
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _classify(exc, "chat.postMessage") from None
        return str(response["ts"])

    async def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        # Paced per method as well as per channel: edits across many channels add up.
        per_second = self._config.updates_per_minute / 60.0
        await self._pacer.acquire("chat.update", per_second, burst=self._config.updates_burst)
        await self._pace_message(channel)
        await self._call(
            "chat.update",
            lambda: self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks),
        )

    async def pin(self, channel_id: str, ts: str) -> None:
        try:
            await self._client.pins_add(channel=channel_id, timestamp=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise _classify(exc, "pins.add") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _classify(exc, "pins.add") from None

    async def _conversation_id(self, channel: str) -> str | None:
        """A channel's id: history is read by id only, while posts also take a name (the
        announcement channel's setting); a name is looked up once per process."""
        if _CONVERSATION_ID.fullmatch(channel):
            return channel
        if channel not in self._channel_ids:
            info = await self.find_channel(channel)
            if info is None:
                return None
            self._channel_ids[channel] = info.id
        return self._channel_ids[channel]

    async def find_own_message(self, channel: str, marker: str, scan: int = 200) -> str | None:
        """The ts of a message this bot posted whose block ids carry `marker`."""
        me = await self.bot_user_id()
        found = await self._conversation_id(channel)
        if found is None:
            return None
        channel = found
        response = await self._call(
            "conversations.history",
            lambda: self._client.conversations_history(channel=channel, limit=min(scan, 999)),
        )
        messages: list[dict[str, Any]] = response.get("messages") or []
        for message in messages:
            if message.get("user") != me and message.get("bot_id") is None:
                continue
            if any(marker == block.get("block_id") for block in message.get("blocks") or []):
                return str(message["ts"])
        return None

    async def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        await self._call(
            "chat.postEphemeral",
            lambda: self._client.chat_postEphemeral(channel=channel, user=user, text=text),
        )

    async def get_message(self, channel: str, ts: str) -> ChatMessage | None:
        response = await self._call(
            "conversations.history",
            lambda: self._client.conversations_history(
                channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
            ),
        )
        for message in response.get("messages") or []:
            if message.get("ts") == ts:
                return ChatMessage(
                    ts=ts,
                    user=str(message.get("user") or message.get("bot_id") or ""),
                    text=str(message.get("text") or ""),
                )
        return None

    async def permalink(self, channel: str, ts: str) -> str:
        response = await self._call(
            "chat.getPermalink",
            lambda: self._client.chat_getPermalink(channel=channel, message_ts=ts),
        )
        return str(response.get("permalink") or "")

    async def usergroup_members(self, usergroup_id: str) -> list[str]:
        response = await self._call(
            "usergroups.users.list",
            lambda: self._client.usergroups_users_list(usergroup=usergroup_id),
        )
        return [str(user) for user in response.get("users") or []]
