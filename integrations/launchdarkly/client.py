"""Thin calls to the LaunchDarkly REST API: who am I, read a flag, switch it on or off."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp

from bot.domain.clock import Clock, utcnow
from bot.ports.adapters import AdapterError
from integrations.launchdarkly.config import SAFE_KEY, LaunchDarklyConfig

# Without the domain-model parameter LaunchDarkly reads the body as a JSON Patch and refuses it.
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    429: "rate_limited",
}
# Only the short error code from the body is repeated; free text could echo input.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,59}")


def status_error(
    operation: str, status: int, error_code: str = "", retry_after: float | None = None
) -> AdapterError:
    """The AdapterError for a non-2xx answer: 408/409/429/5xx retryable, the rest not."""
    code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "unexpected_status")
    retryable = status >= 500 or status in {408, 409, 429}
    detail = f" {error_code}" if error_code else ""
    wait = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
    message = f"LaunchDarkly {operation}: HTTP {status}{detail}{wait}"
    return AdapterError(code, message, retryable=retryable)


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """How long LaunchDarkly asks us to wait: `Retry-After`, else `X-Ratelimit-Reset`."""
    retry_after = headers.get("Retry-After", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    reset_ms = headers.get("X-Ratelimit-Reset", "").strip()
    if reset_ms.isdigit():
        return max(0.0, int(reset_ms) / 1000 - now.timestamp())
    return None


class LaunchDarklyClient:
    """One method per REST call; every failure becomes an AdapterError."""

    def __init__(
        self, config: LaunchDarklyConfig, session: aiohttp.ClientSession, clock: Clock = utcnow
    ) -> None:
        self._config = config
        self._session = session
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)

    async def caller_identity(self) -> dict[str, Any]:
        """What the token is (account, token kind); the cheapest authenticated call."""
        return await self._call("GET", "/api/v2/caller-identity", "identify the caller")

    async def is_on(self, flag: str, environment: str) -> bool:
        """Whether `flag`'s targeting is on in `environment`."""
        operation = f"read flag {flag}"
        body = await self._call(
            "GET", self._flag_path(flag), operation, params={"env": _segment(environment)}
        )
        environments = body.get("environments")
        settings = environments.get(environment) if isinstance(environments, dict) else None
        if not isinstance(settings, dict):
            raise AdapterError(
                "unknown_environment",
                f"LaunchDarkly flag {flag} has no environment {environment} in project "
                f"{self._config.project}",
                retryable=False,
            )
        return settings.get("on") is True

    async def set_on(self, flag: str, environment: str, on: bool, comment: str) -> None:
        """Turn `flag`'s targeting on or off in `environment` with a semantic patch."""
        word = "on" if on else "off"
        patch = {
            "environmentKey": _segment(environment),
            "comment": comment,
            "instructions": [{"kind": "turnFlagOn" if on else "turnFlagOff"}],
        }
        await self._call(
            "PATCH",
            self._flag_path(flag),
            f"turn flag {flag} {word} in {environment}",
            body=json.dumps(patch).encode(),
        )

    def _flag_path(self, flag: str) -> str:
        return f"/api/v2/flags/{self._config.project}/{_segment(flag)}"

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> dict[str, Any]:
        headers = {
            "Authorization": self._config.token.get_secret_value(),
            "LD-API-Version": self._config.api_version,
            "Accept": "application/json",
        }
        if body is not None:
            headers["Content-Type"] = SEMANTIC_PATCH
        try:
            async with self._session.request(
                method,
                self._config.base_url + path,
                params=params,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                if not 200 <= response.status < 300:
                    raise status_error(
                        operation,
                        response.status,
                        await _error_code(response),
                        retry_after_seconds(response.headers, self._clock()),
                    )
                answer = await response.json(content_type=None)
        except TimeoutError:
            raise AdapterError(
                "timeout", f"LaunchDarkly {operation}: no answer in time", retryable=True
            ) from None
        except aiohttp.ClientError as exc:
            raise AdapterError(
                "connection_error",
                f"LaunchDarkly {operation}: cannot reach {self._config.host} "
                f"({type(exc).__name__})",
                retryable=True,
            ) from None
        except ValueError:
            raise AdapterError(
                "bad_response", f"LaunchDarkly {operation}: the answer is not JSON", retryable=False
            ) from None
        if not isinstance(answer, dict):
            raise AdapterError(
                "bad_response",
                f"LaunchDarkly {operation}: the answer is not an object",
                retryable=False,
            )
        return answer


def _segment(key: str) -> str:
    """`key` as a URL path segment; anything else would change which resource we hit."""
    if not SAFE_KEY.fullmatch(key):
        raise AdapterError(
            "invalid_name", f"{key[:100]!r} is not a valid LaunchDarkly key", retryable=False
        )
    return key


async def _error_code(response: aiohttp.ClientResponse) -> str:
    """The `code` field of a LaunchDarkly error body, when it looks like one."""
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return ""
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else ""
