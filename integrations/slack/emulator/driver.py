"""SlackDriver: signs and posts slash commands, clicks and events to the bot as Slack does."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from .blocktext import text_of
from .models import Channel, EventKind
from .server import SlackEmulator
from .shapes import message_json

_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


@dataclass(frozen=True)
class DriverResponse:
    """What the bot answered."""

    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text)


class SlackDriver:
    """Plays Slack's side of the inbound traffic: signed HTTP requests to the bot's endpoint."""

    def __init__(
        self,
        *,
        bot_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str | None = None,
        api_app_id: str = "A0SMOKE",
        verification_token: str = "sandbox-verification-token",  # noqa: S107  fake, sandbox-only
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot_url = bot_url
        self.emulator = emulator
        self.team_id = team_id or emulator.state.team_id
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        self.last_event_id: str | None = None
        self._verifier = SignatureVerifier(signing_secret)
        self._session = session
        self._owns_session = session is None
        self._clock = clock

    async def close(self) -> None:
        """Close the HTTP session if the driver created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> SlackDriver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- signing and transport

    def sign(self, body: str, timestamp: int) -> str:
        """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
        signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        if signature is None:
            raise ValueError("cannot sign without a timestamp")
        return signature

    async def post_signed(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        bad_signature: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> DriverResponse:
        """POST a raw body with Slack's signature headers (optionally stale or forged)."""
        ts = int(self._clock()) if timestamp is None else timestamp
        signature = self.sign(body, ts)
        if bad_signature:
            signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        request_headers = {
            "Content-Type": content_type,
            "User-Agent": _USER_AGENT,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(
            self.bot_url, data=body.encode(), headers=request_headers
        ) as response:
            text = await response.text()
            return DriverResponse(response.status, dict(response.headers), text)

    # ---- slash commands and interactivity

    async def slash_command(
        self,
        *,
        user_id: str,
        channel_id: str,
        text: str,
        command: str = "/incident",
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> DriverResponse:
        """A user runs a slash command in a channel."""
        state = self.emulator.state
        channel = state.channels.get(channel_id)
        trigger = state.new_trigger(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": state.team_domain,
            "channel_id": channel_id,
            "channel_name": _channel_name(channel),
            "user_id": user_id,
            "user_name": state.user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.emulator.response_url(
                "commands", channel_id=channel_id, user_id=user_id
            ),
            "trigger_id": trigger.id,
        }
        state.record(EventKind.SLASH_COMMAND, channel_id, user_id, text=text, detail=command)
        return await self.post_signed(
            urlencode(fields), content_type=_FORM, timestamp=timestamp, bad_signature=bad_signature
        )

    async def click_button(
        self,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> DriverResponse:
        """A user clicks a button on a message the bot posted (ephemeral ones included)."""
        state = self.emulator.state
        message = state.find_message(channel_id, message_ts)
        ephemeral = None if message else state.find_ephemeral(channel_id, message_ts)
        if message is None and ephemeral is None:
            raise LookupError(f"no message {message_ts} in {channel_id}")
        blocks = message.blocks if message else ephemeral.blocks if ephemeral else []
        found_block_id, button = _find_button(blocks, action_id)
        if button is None and value is None:
            raise LookupError(f"no button {action_id!r} on message {message_ts}")
        button = button or {}
        label = text_of(button.get("text")) or action_id
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or found_block_id or "actions",
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": value if value is not None else button.get("value", ""),
            "type": "button",
            "action_ts": state.new_ts(),
        }
        if button.get("style"):
            action["style"] = button["style"]
        channel = state.channels.get(channel_id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": message is None,
            },
            "trigger_id": state.new_trigger(user_id).id,
            "team": {"id": self.team_id, "domain": state.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": _channel_name(channel)},
            "state": {"values": {}},
            "response_url": self.emulator.response_url(
                "actions", channel_id=channel_id, user_id=user_id, message_ts=message_ts
            ),
            "actions": [action],
        }
        if message is not None:
            payload["message"] = message_json(state, message)
        state.record(EventKind.BUTTON_CLICK, channel_id, user_id, text=label, ts=message_ts)
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post_signed(
            body, content_type=_FORM, timestamp=timestamp, bad_signature=bad_signature
        )

    # ---- Events API

    async def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> DriverResponse:
        """Deliver an event_callback; a retry repeats the event_id with X-Slack-Retry-* headers."""
        event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
        self.last_event_id = event_id
        envelope = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self._clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.emulator.state.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.post_signed(
            json.dumps(envelope),
            content_type=_JSON,
            timestamp=timestamp,
            bad_signature=bad_signature,
            headers=headers,
        )

    async def message(
        self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None
    ) -> DriverResponse:
        """A human posts a message (stored in the emulator, then delivered as `message`)."""
        event = self._human_message("message", user_id, channel_id, text, thread_ts)
        channel = self.emulator.state.channels.get(channel_id)
        event["channel_type"] = _channel_type(channel)
        return await self.send_event(event)

    async def app_mention(
        self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None
    ) -> DriverResponse:
        """A human mentions the bot; the mention is prepended when the text lacks it."""
        mention = f"<@{self.emulator.state.bot_user_id}>"
        if mention not in text:
            text = f"{mention} {text}"
        event = self._human_message("app_mention", user_id, channel_id, text, thread_ts)
        return await self.send_event(event)

    async def reaction_added(
        self, user_id: str, channel_id: str, ts: str, reaction: str
    ) -> DriverResponse:
        """A human reacts to a message."""
        state = self.emulator.state
        message = state.find_message(channel_id, ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel_id}")
        name = reaction.strip(":")
        state.add_reaction(message, user=user_id, name=name)
        event = {
            "type": "reaction_added",
            "user": user_id,
            "reaction": name,
            "item_user": message.user,
            "item": {"type": "message", "channel": channel_id, "ts": ts},
            "event_ts": state.new_ts(),
        }
        return await self.send_event(event)

    async def app_home_opened(self, user_id: str) -> DriverResponse:
        """A user opens the app's Home tab."""
        state = self.emulator.state
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": state.ensure_im(user_id).id,
            "tab": "home",
            "event_ts": state.new_ts(),
        }
        view = state.home_views.get(user_id)
        if view is not None:
            event["view"] = view
        return await self.send_event(event)

    async def url_verification(
        self, challenge: str, *, timestamp: int | None = None, bad_signature: bool = False
    ) -> DriverResponse:
        """The handshake Slack sends when the Request URL is saved."""
        body = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return await self.post_signed(
            json.dumps(body), content_type=_JSON, timestamp=timestamp, bad_signature=bad_signature
        )

    # ---- helpers

    def _user(self, user_id: str) -> dict[str, str]:
        name = self.emulator.state.user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _human_message(
        self, kind: str, user_id: str, channel_id: str, text: str, thread_ts: str | None
    ) -> dict[str, Any]:
        state = self.emulator.state
        message = state.add_message(channel_id, user=user_id, text=text, thread_ts=thread_ts)
        event: dict[str, Any] = {
            "type": kind,
            "user": user_id,
            "text": text,
            "ts": message.ts,
            "channel": channel_id,
            "event_ts": message.ts,
            "team": self.team_id,
            "client_msg_id": str(uuid.uuid4()),
            "blocks": [_rich_text(text)],
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return event


def _channel_name(channel: Channel | None) -> str:
    if channel is None:
        return "unknown"
    return "directmessage" if channel.is_im else channel.name


def _channel_type(channel: Channel | None) -> str:
    if channel is None or not (channel.is_private or channel.is_im):
        return "channel"
    return "im" if channel.is_im else "group"


def _find_button(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[str | None, dict[str, Any] | None]:
    for block in blocks:
        candidates = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "block_id": uuid.uuid4().hex[:5],
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }
