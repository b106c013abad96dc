"""`UnleashFlagRemediator`: the Remediator capability for feature flags on Unleash."""

from __future__ import annotations

from bot.ports.adapters import AdapterError, NotReady
from integrations.common.flag_toggle import FlagToggleRemediator, not_ready_reason
from integrations.unleash.client import UnleashClient
from integrations.unleash.config import UnleashConfig


class UnleashFlagRemediator(FlagToggleRemediator):
    """Turns a flag on or off in one Unleash environment, reading its state first."""

    name = "unleash"

    def __init__(self, client: UnleashClient, config: UnleashConfig) -> None:
        self._client = client
        self._config = config

    async def probe(self) -> None:
        try:
            known = set(await self._client.environment_names())
        except AdapterError as exc:
            reason = not_ready_reason(exc, self._config.host, "admin token", "read environments")
            raise NotReady(self.name, reason) from None
        missing = sorted(set(self._config.environments.values()) - known)
        if missing:
            raise NotReady(self.name, f"Unleash has no environment {', '.join(missing)}")

    async def _read(self, flag: str, environment: str) -> bool:
        return await self._client.is_enabled(flag, environment)

    async def _write(self, flag: str, environment: str, target: bool, comment: str) -> None:
        # Unleash's on/off endpoints take no comment; its event log records the token.
        await self._client.set_enabled(flag, environment, target)

    def _vendor_environment(self, environment: str) -> str:
        return self._config.vendor_environment(environment)
