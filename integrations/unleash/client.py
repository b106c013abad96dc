"""Thin calls to the Unleash Admin API: list environments, read a flag, switch it on or off."""

from __future__ import annotations

import re
from typing import Any

from bot.ports.adapters import AdapterError
from integrations.common.flag_client import FlagApiClient
from integrations.unleash.config import UnleashConfig


class UnleashClient(FlagApiClient[UnleashConfig]):
    """One method per Admin API call; every failure becomes an AdapterError."""

    error_field = "name"
    error_pattern = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")
    # The on/off endpoints answer with an empty body.
    writes_answer = False

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
        path = f"{self._feature_path(flag)}/environments/{self._segment(environment)}/{word}"
        await self._call("POST", path, f"turn flag {flag} {word} in {environment}")

    def _feature_path(self, flag: str) -> str:
        return f"/api/admin/projects/{self._config.project}/features/{self._segment(flag)}"


def _objects(value: object) -> list[dict[str, Any]]:
    """The JSON objects of a list field; anything else reads as empty."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
