"""Thin calls to the LaunchDarkly REST API: who am I, read a flag, switch it on or off."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.retry import retry_after_seconds
from bot.ports.adapters import AdapterError
from integrations.common.flag_client import FlagApiClient
from integrations.launchdarkly.config import LaunchDarklyConfig

# Without the domain-model parameter LaunchDarkly reads the body as a JSON Patch and refuses it.
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """How long LaunchDarkly asks us to wait: `Retry-After`, else `X-Ratelimit-Reset`.

    A route's rate limit comes with no `Retry-After`, only the reset time of its window,
    in milliseconds since the epoch.
    """
    asked = retry_after_seconds(headers.get("Retry-After"), now)
    if asked is not None:
        return asked
    reset_ms = headers.get("X-Ratelimit-Reset", "").strip()
    if reset_ms.isdigit():
        return max(0.0, int(reset_ms) / 1000 - now.timestamp())
    return None


class LaunchDarklyClient(FlagApiClient[LaunchDarklyConfig]):
    """One method per REST call; every failure becomes an AdapterError."""

    error_field = "code"
    error_pattern = re.compile(r"[a-z][a-z0-9_]{0,59}")

    async def caller_identity(self) -> dict[str, Any]:
        """What the token is (account, token kind); the cheapest authenticated call."""
        return await self._call("GET", "/api/v2/caller-identity", "identify the caller")

    async def is_on(self, flag: str, environment: str) -> bool:
        """Whether `flag`'s targeting is on in `environment`."""
        operation = f"read flag {flag}"
        body = await self._call(
            "GET", self._flag_path(flag), operation, params={"env": self._segment(environment)}
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
            "environmentKey": self._segment(environment),
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
        return f"/api/v2/flags/{self._config.project}/{self._segment(flag)}"

    def _headers(self, body: bytes | None) -> dict[str, str]:
        headers = {**super()._headers(body), "LD-API-Version": self._config.api_version}
        if body is not None:
            headers["Content-Type"] = SEMANTIC_PATCH
        return headers

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        return rate_limit_wait(headers, self._clock())
