"""One JSON call to a feature-flag service's API, every failure an AdapterError."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import aiohttp

from bot.domain.clock import Clock, utcnow
from bot.domain.retry import retry_after_seconds, retryable_status
from bot.ports.adapters import AdapterError
from integrations.common.flag_config import SAFE_KEY, FlagServiceConfig

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    429: "rate_limited",
}


def status_error(
    vendor: str, operation: str, status: int, detail: str = "", retry_after: float | None = None
) -> AdapterError:
    """The AdapterError for a non-2xx answer, retryable as `bot.domain.retry` says.

    `retry_after` (seconds the service asked us to wait) travels with a retryable error
    only: after a refusal no wait makes the same call succeed.
    """
    code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "unexpected_status")
    retryable = retryable_status(status)
    wait = retry_after if retryable else None
    said = f" {detail}" if detail else ""
    asked = f"; retry after {wait:.0f}s" if wait is not None else ""
    message = f"{vendor} {operation}: HTTP {status}{said}{asked}"
    return AdapterError(code, message, retryable=retryable, retry_after=wait)


Config = TypeVar("Config", bound=FlagServiceConfig)


class FlagApiClient(Generic[Config]):
    """The request, the error handling and the key checks; a vendor adds its calls."""

    # The error body's field worth repeating, and what it must look like: only a short
    # code is repeated, free text could echo input.
    error_field: ClassVar[str]
    error_pattern: ClassVar[re.Pattern[str]]
    # Whether a write's answer carries a JSON body worth reading.
    writes_answer: ClassVar[bool] = True

    def __init__(
        self, config: Config, session: aiohttp.ClientSession, clock: Clock = utcnow
    ) -> None:
        self._config = config
        self._session = session
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)

    def _headers(self, body: bytes | None) -> dict[str, str]:
        return {
            "Authorization": self._config.token.get_secret_value(),
            "Accept": "application/json",
        }

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds the service asked us to wait (`Retry-After`); a vendor may add its own hint."""
        return retry_after_seconds(headers.get("Retry-After"), self._clock())

    def _segment(self, key: str) -> str:
        """`key` as a URL path segment; anything else would change which resource we hit."""
        if not SAFE_KEY.fullmatch(key):
            config = self._config
            raise AdapterError(
                "invalid_name",
                f"{key[:100]!r} is not a valid {config.vendor} {config.key_noun}",
                retryable=False,
            )
        return key

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> dict[str, Any]:
        vendor = self._config.vendor
        try:
            async with self._session.request(
                method,
                self._config.base_url + path,
                params=params,
                data=body,
                headers=self._headers(body),
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                if not 200 <= response.status < 300:
                    raise status_error(
                        vendor,
                        operation,
                        response.status,
                        await self._error_detail(response),
                        self._retry_after(response.headers),
                    )
                if method != "GET" and not self.writes_answer:
                    return {}
                answer = await response.json(content_type=None)
        except TimeoutError:
            raise AdapterError(
                "timeout", f"{vendor} {operation}: no answer in time", retryable=True
            ) from None
        except aiohttp.ClientError as exc:
            raise AdapterError(
                "connection_error",
                f"{vendor} {operation}: cannot reach {self._config.host} ({type(exc).__name__})",
                retryable=True,
            ) from None
        except ValueError:
            raise AdapterError(
                "bad_response", f"{vendor} {operation}: the answer is not JSON", retryable=False
            ) from None
        if not isinstance(answer, dict):
            raise AdapterError(
                "bad_response",
                f"{vendor} {operation}: the answer is not an object",
                retryable=False,
            )
        return answer

    async def _error_detail(self, response: aiohttp.ClientResponse) -> str:
        """The vendor's short error code from an error body, when it looks like one."""
        try:
            body = await response.json(content_type=None)
        except (ValueError, aiohttp.ClientError):
            return ""
        value = body.get(self.error_field) if isinstance(body, dict) else None
        return value if isinstance(value, str) and self.error_pattern.fullmatch(value) else ""
