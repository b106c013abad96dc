"""Authentication, unknown methods, rate limits and injected faults."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import VirtualTime
from integrations.slack import client as slack_client
from integrations.slack.client import build_web_client
from integrations.slack.config import SlackConfig
from integrations.slack.emulator import RateLimits, SlackEmulator

from .conftest import TOKEN, FakeClock


async def test_invalid_and_missing_auth(emulator: SlackEmulator) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=emulator.api_url)
    missing = AsyncWebClient(base_url=emulator.api_url)

    with pytest.raises(SlackApiError) as bad:
        await wrong.auth_test()
    with pytest.raises(SlackApiError) as none:
        await missing.conversations_create(name="x")

    assert (bad.value.response.status_code, bad.value.response["error"]) == (200, "invalid_auth")
    assert none.value.response["error"] == "not_authed"
    assert len(emulator.state.channels) == 1
    assert [c.error for c in emulator.state.calls] == ["invalid_auth", "not_authed"]


async def test_token_as_form_field(emulator: SlackEmulator) -> None:
    anonymous = AsyncWebClient(base_url=emulator.api_url)
    response = await anonymous.api_call("auth.test", data={"token": TOKEN})
    assert response["user_id"] == "U0BOT"


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        await client.api_call("incidents.summon")
    assert info.value.response["error"] == "unknown_method"


async def test_tier_limit_returns_429_with_retry_after() -> None:
    clock = FakeClock()
    limits = RateLimits().with_method("conversations.create", per_minute=2, burst=1)
    async with SlackEmulator(rate_limits=limits, clock=clock) as emulator:
        client = AsyncWebClient(token=TOKEN, base_url=emulator.api_url)
        await client.conversations_create(name="inc-1")

        with pytest.raises(SlackApiError) as info:
            await client.conversations_create(name="inc-2")

        response = info.value.response
        assert response.status_code == 429
        assert response["error"] == "ratelimited"
        assert response.headers["Retry-After"] == "30"
        assert emulator.state.ratelimited_count("conversations.create") == 1
        assert emulator.state.channel_by_name("inc-2") is None

        clock.advance(30)
        await client.conversations_create(name="inc-2")
        assert emulator.state.channel_by_name("inc-2") is not None


async def test_post_message_is_limited_per_channel() -> None:
    limits = RateLimits()  # 1 message/s per channel, burst 3
    async with SlackEmulator(rate_limits=limits, clock=FakeClock()) as emulator:
        client = AsyncWebClient(token=TOKEN, base_url=emulator.api_url)
        first = (await client.conversations_create(name="inc-a"))["channel"]["id"]
        second = (await client.conversations_create(name="inc-b"))["channel"]["id"]
        for _ in range(3):
            await client.chat_postMessage(channel=first, text="burst")

        with pytest.raises(SlackApiError) as info:
            await client.chat_postMessage(channel=first, text="one too many")
        await client.chat_postMessage(channel=second, text="other channel is fine")

        assert info.value.response.headers["Retry-After"] == "1"
        assert len(emulator.state.messages_in(first)) == 3
        assert len(emulator.state.messages_in(second)) == 1


async def test_retry_handler_waits_retry_after_then_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bot's own client, on a virtual clock the emulator shares: the wait moves the clock
    # for both instead of passing. The handler adds up to a second of jitter; pin it so the
    # wait is exactly Retry-After.
    monkeypatch.setattr(slack_client, "random", SimpleNamespace(random=lambda: 0.0))
    time = VirtualTime()
    limits = RateLimits.fast().with_method("conversations.info", per_minute=60, burst=1)
    async with SlackEmulator(rate_limits=limits, clock=time.monotonic) as emulator:
        config = SlackConfig(
            bot_token=SecretStr(TOKEN), api_url=emulator.api_url, max_rate_limit_retries=1
        )
        client = build_web_client(config, time)
        await client.conversations_info(channel="C0GENERAL")

        response = await client.conversations_info(channel="C0GENERAL")

        assert response["channel"]["id"] == "C0GENERAL"
        assert [c.status for c in emulator.state.calls_to("conversations.info")] == [200, 429, 200]
        assert time.sleeps == [1.0]


async def test_unlimited_never_answers_429() -> None:
    async with SlackEmulator(rate_limits=RateLimits.unlimited()) as emulator:
        client = AsyncWebClient(token=TOKEN, base_url=emulator.api_url)
        for number in range(30):
            await client.conversations_create(name=f"inc-{number}")
        assert emulator.state.ratelimited_count("conversations.create") == 0


async def test_injected_faults(client: AsyncWebClient, emulator: SlackEmulator) -> None:
    emulator.inject_fault("chat.postMessage", error="fatal_error", status=500, times=1)
    emulator.inject_fault("conversations.create", status=429, error="ratelimited", retry_after=7)
    channel_id = "C0GENERAL"
    await client.conversations_join(channel=channel_id)

    with pytest.raises(SlackApiError) as fatal:
        await client.chat_postMessage(channel=channel_id, text="x")
    with pytest.raises(SlackApiError) as limited:
        await client.conversations_create(name="inc-x")
    await client.chat_postMessage(channel=channel_id, text="second try works")

    assert (fatal.value.response.status_code, fatal.value.response["error"]) == (500, "fatal_error")
    assert limited.value.response.headers["Retry-After"] == "7"
    assert [m.text for m in emulator.state.messages_in(channel_id)] == ["second try works"]
    assert emulator.state.ratelimited_count("conversations.create") == 1
    assert emulator.faults.pending == []
