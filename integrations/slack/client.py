"""The one Slack Web API client every write goes through."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import retry
from bot.domain.clock import REAL_TIME, TimeSource
from bot.domain.steps import before_external_step
from integrations.slack.config import SlackConfig


def retry_after_seconds(response: HttpResponse, now: datetime) -> float:
    """How long a 429 asks us to wait, with up to a second of jitter, as slack_sdk does.

    The jitter keeps replicas that were refused together from retrying in lockstep. A
    missing or unreadable header counts as Slack's minimum of one second.
    """
    wait: float | None = None
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) and values else values
            wait = retry.retry_after_seconds(str(value), now)
            break
    return (wait if wait is not None and wait < 86_400 else 1) + random.random()


class _BackoffOnTimeSource(AsyncRetryHandler):
    """slack_sdk's exponential backoff, waited on the app's time source."""

    def __init__(self, time: TimeSource, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._time = time

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        await _backoff(self, self._time, state)


class ConnectionErrorRetry(_BackoffOnTimeSource, AsyncConnectionErrorRetryHandler):
    """slack_sdk's connection-error retries, waiting on the app's time source."""


class ServerErrorRetry(_BackoffOnTimeSource, AsyncServerErrorRetryHandler):
    """slack_sdk's 500/503 retries, waiting on the app's time source."""


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Honours a 429's Retry-After, waiting on the app's time source."""

    def __init__(self, time: TimeSource, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._time = time

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            # Only a 429 response gets here (see _can_retry_async); anything else is the
            # error itself, as in slack_sdk.
            assert error is not None
            raise error
        state.next_attempt_requested = True
        await self._time.sleep(retry_after_seconds(response, self._time.now()))
        state.increment_current_attempt()


async def _backoff(handler: AsyncRetryHandler, time: TimeSource, state: RetryState) -> None:
    """The base handler's exponential backoff, slept on `time` instead of asyncio."""
    state.next_attempt_requested = True
    await time.sleep(handler.interval_calculator.calculate_sleep_duration(state.current_attempt))
    state.increment_current_attempt()


class SteppedWebClient(AsyncWebClient):
    """Every Web API call is an external step: a running outbox job holds its lease first."""

    async def api_call(self, *args: Any, **kwargs: Any) -> Any:
        await before_external_step()
        return await super().api_call(*args, **kwargs)


def build_web_client(config: SlackConfig, time: TimeSource = REAL_TIME) -> AsyncWebClient:
    """An AsyncWebClient that honours Retry-After and retries transient failures."""
    kwargs: dict[str, object] = {}
    if config.api_url:
        kwargs["base_url"] = config.api_url
    return SteppedWebClient(
        token=config.bot_token.get_secret_value(),
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetry(time, max_retry_count=2),
            RateLimitRetry(time, max_retry_count=config.max_rate_limit_retries),
            ServerErrorRetry(time, max_retry_count=2),
        ],
        **kwargs,  # type: ignore[arg-type]
    )
