"""The one Slack Web API client every write goes through."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.config import SlackConfig


def build_web_client(config: SlackConfig) -> AsyncWebClient:
    """An AsyncWebClient that honours Retry-After and retries transient failures."""
    kwargs: dict[str, object] = {}
    if config.api_url:
        kwargs["base_url"] = config.api_url
    return AsyncWebClient(
        token=config.bot_token.get_secret_value(),
        timeout=15,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=config.max_rate_limit_retries),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
        **kwargs,  # type: ignore[arg-type]
    )
