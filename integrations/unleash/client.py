"""Thin calls to the Unleash Admin API: list environments, read a flag, switch it on or off."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.ports.adapters import AdapterError
from integrations.unleash.config import SAFE_NAME, UnleashConfig

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    429: "rate_limited",
}
# Only a short error class name from the body is repeated; free text could echo input.
_ERROR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")


def status_error(
    operation: str, status: int, error_name: str = "", retry_after: float | None = None
) -> AdapterError:
    """The AdapterError for a non-2xx answer: 408/409/429/5xx retryable, the rest not."""
    code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "unexpected_status")
    retryable = status >= 500 or status in {408, 409, 429}
    detail = f" {error_name}" if error_name else ""
    wait = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
    message = f"Unleash {operation}: HTTP {status}{detail}{wait}"
    return AdapterError(code, message, retryable=retryable)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from a delta-seconds `Retry-After` header, if there is one."""
    value = headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


class UnleashClient:
    """One method per Admin API call; every failure becomes an AdapterError."""

    def __init__(self, config: UnleashConfig, session: aiohttp.ClientSession) -> None:
        self._config = config
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)

    async def environment_names(self) -> list[str]:
        """Names of every environment the server knows."""
        body = await self._call("GET", "/api/admin/environments", "list environments")
        return [str(env.get("name")) for env in _objects(body.get("environments"))]

    async def is_enabled(self, flag: str, environment: str) -> bool:
        """Whether `flag` is on in `environment`."""
        operation = f"read flag {flag}"
        body = await self._call("GET", self._feature_path(flag), operation)
        for env in _objects(body.get("environments")):
            if env.get("name") == environment:
                return env.get("enabled") is True
        raise AdapterError(
            "unknown_environment",
            f"Unleash flag {flag} has no environment {environment} in project "
            f"{self._config.project}",
            retryable=False,
        )

    async def set_enabled(self, flag: str, environment: str, enabled: bool) -> None:
        """Switch `flag` on or off in `environment`."""
        word = "on" if enabled else "off"
        path = f"{self._feature_path(flag)}/environments/{_segment(environment)}/{word}"
        await self._call("POST", path, f"turn flag {flag} {word} in {environment}")

    def _feature_path(self, flag: str) -> str:
        return f"/api/admin/projects/{self._config.project}/features/{_segment(flag)}"

    async def _call(self, method: str, path: str, operation: str) -> dict[str, Any]:
        headers = {
            "Authorization": self._config.token.get_secret_value(),
            "Accept": "application/json",
        }
        try:
            async with self._session.request(
                method,
                self._config.base_url + path,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                if not 200 <= response.status < 300:
                    raise status_error(
                        operation,
                        response.status,
                        await _error_name(response),
                        retry_after_seconds(response.headers),
                    )
                if method != "GET":
                    return {}
                body = await response.json(content_type=None)
        except TimeoutError:
            raise AdapterError(
                "timeout", f"Unleash {operation}: no answer in time", retryable=True
            ) from None
        except aiohttp.ClientError as exc:
            raise AdapterError(
                "connection_error",
                f"Unleash {operation}: cannot reach {self._config.host} ({type(exc).__name__})",
                retryable=True,
            ) from None
        except ValueError:
            raise AdapterError(
                "bad_response", f"Unleash {operation}: the answer is not JSON", retryable=False
            ) from None
        if not isinstance(body, dict):
            raise AdapterError(
                "bad_response", f"Unleash {operation}: the answer is not an object", retryable=False
            )
        return body


def _objects(value: object) -> list[dict[str, Any]]:
    """The JSON objects of a list field; anything else reads as empty."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _segment(name: str) -> str:
    """`name` as a URL path segment; anything else would change which resource we hit."""
    if not SAFE_NAME.fullmatch(name):
        raise AdapterError(
            "invalid_name", f"{name[:100]!r} is not a valid Unleash name", retryable=False
        )
    return name


async def _error_name(response: aiohttp.ClientResponse) -> str:
    """The `name` field of an Unleash error body, when it looks like a class name."""
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return ""
    name = body.get("name") if isinstance(body, dict) else None
    return name if isinstance(name, str) and _ERROR_NAME.fullmatch(name) else ""
