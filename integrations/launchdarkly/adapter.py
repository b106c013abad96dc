"""`LaunchDarklyFlagRemediator`: the Remediator capability for feature flags on LaunchDarkly."""

from __future__ import annotations

from bot.ports.adapters import AdapterError, NotReady
from integrations.common.flag_toggle import FlagToggleRemediator, not_ready_reason
from integrations.launchdarkly.client import LaunchDarklyClient
from integrations.launchdarkly.config import LaunchDarklyConfig


class LaunchDarklyFlagRemediator(FlagToggleRemediator):
    """Turns a flag's targeting on or off in one environment, reading its state first."""

    name = "launchdarkly"

    def __init__(self, client: LaunchDarklyClient, config: LaunchDarklyConfig) -> None:
        self._client = client
        self._config = config

    async def probe(self) -> None:
        try:
            await self._client.caller_identity()
        except AdapterError as exc:
            reason = not_ready_reason(exc, self._config.host, "access token", "call the API")
            raise NotReady(self.name, reason) from None

    async def _read(self, flag: str, environment: str) -> bool:
        return await self._client.is_on(flag, environment)

    async def _write(self, flag: str, environment: str, target: bool, comment: str) -> None:
        await self._client.set_on(flag, environment, target, comment)

    def _vendor_environment(self, environment: str) -> str:
        return self._config.vendor_environment(environment)
