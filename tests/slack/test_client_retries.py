"""The Slack client's retries wait on the app's time source: Retry-After honoured, bounded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import VirtualTime
from integrations.slack.client import build_web_client, retry_after_seconds
from integrations.slack.config import SlackConfig
from integrations.slack.emulator import RateLimits, SlackEmulator

TOKEN = "xoxb-retries"


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def emulator(time: VirtualTime) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(
        bot_token=TOKEN, rate_limits=RateLimits.unlimited(), clock=time.monotonic
    ) as emu:
        yield emu


def _client(emulator: SlackEmulator, time: VirtualTime, retries: int = 5) -> AsyncWebClient:
    config = SlackConfig(
        bot_token=SecretStr(TOKEN), api_url=emulator.api_url, max_rate_limit_retries=retries
    )
    return build_web_client(config, time)


async def test_a_429_waits_its_retry_after_then_succeeds(
    emulator: SlackEmulator, time: VirtualTime
) -> None:
    emulator.inject_fault("conversations.create", status=429, error="ratelimited", retry_after=7)

    response = await _client(emulator, time).conversations_create(name="inc-1")

    assert response["channel"]["name"] == "inc-1"
    assert [c.status for c in emulator.state.calls_to("conversations.create")] == [429, 200]
    [waited] = time.sleeps
    # Retry-After plus under a second of jitter, so replicas do not retry in lockstep.
    assert 7.0 <= waited < 8.0


async def test_429_retries_stop_at_the_configured_count(
    emulator: SlackEmulator, time: VirtualTime
) -> None:
    emulator.inject_fault(
        "conversations.create", status=429, error="ratelimited", retry_after=2, times=3
    )

    with pytest.raises(SlackApiError) as refused:
        await _client(emulator, time, retries=2).conversations_create(name="inc-1")

    assert refused.value.response.status_code == 429
    assert len(emulator.state.calls_to("conversations.create")) == 3
    assert len(time.sleeps) == 2
    assert all(2.0 <= s < 3.0 for s in time.sleeps)
    assert emulator.state.channel_by_name("inc-1") is None


async def test_a_server_error_is_retried_after_a_backoff_on_the_clock(
    emulator: SlackEmulator, time: VirtualTime
) -> None:
    emulator.inject_fault("auth.test", status=503, error="service_unavailable")

    response = await _client(emulator, time).auth_test()

    assert response["ok"] is True
    assert [c.status for c in emulator.state.calls_to("auth.test")] == [503, 200]
    [waited] = time.sleeps
    # slack_sdk's backoff: half a second for the first retry, plus under a second of jitter.
    assert 0.5 <= waited < 1.5


@pytest.mark.parametrize(
    ("header", "least"),
    [
        ("7", 7.0),  # delta seconds, as Slack sends them
        ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),  # a date, read on the app's clock
        ("soon", 1.0),  # unreadable: Slack's minimum
    ],
)
def test_a_429_wait_is_read_against_the_time_given(header: str, least: float) -> None:
    now = datetime(2026, 10, 21, 7, 28, tzinfo=UTC)
    response = HttpResponse(status_code=429, headers={"Retry-After": [header]})
    wait = retry_after_seconds(response, now)
    # Up to a second of jitter on top, as slack_sdk adds.
    assert least <= wait < least + 1
