"""Count every Slack Web API call and every 429, without changing how calls are made."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics.live import LiveMetrics


def _method_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "unknown"


class RateLimitCounter(AsyncRetryHandler):
    """Sees each 429 before the real retry handlers do; never retries by itself."""

    def __init__(self, metrics: LiveMetrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            self._metrics.slack_rate_limited.labels(_method_of(request.url)).inc()
        return False


def instrument(client: AsyncWebClient, metrics: LiveMetrics) -> None:
    """Count calls by method and result; the 429 counter goes first among the handlers."""
    client.retry_handlers.insert(0, RateLimitCounter(metrics))
    call = client.api_call

    async def counted(api_method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            response = await call(api_method, *args, **kwargs)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "error")) if exc.response else "error"
            metrics.slack_calls.labels(api_method, code[:40]).inc()
            raise
        except Exception:
            metrics.slack_calls.labels(api_method, "transport_error").inc()
            raise
        metrics.slack_calls.labels(api_method, "ok").inc()
        return response

    # An instance attribute: every convenience method (chat_postMessage, …) calls api_call.
    client.api_call = counted  # type: ignore[method-assign]
