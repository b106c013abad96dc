"""Unleash: turn feature flags on and off through the Admin API."""

from __future__ import annotations

import aiohttp

from integrations.unleash.adapter import UnleashFlagRemediator
from integrations.unleash.client import UnleashClient
from integrations.unleash.config import UnleashConfig

__all__ = ["UnleashClient", "UnleashConfig", "UnleashFlagRemediator", "setup"]


def setup(config: UnleashConfig, session: aiohttp.ClientSession) -> UnleashFlagRemediator:
    """The Unleash remediator on the shared HTTP session."""
    return UnleashFlagRemediator(UnleashClient(config, session), config)
