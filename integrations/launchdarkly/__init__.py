"""LaunchDarkly: turn feature flags on and off through the REST API's semantic patch."""

from __future__ import annotations

import aiohttp

from integrations.launchdarkly.adapter import LaunchDarklyFlagRemediator
from integrations.launchdarkly.client import LaunchDarklyClient
from integrations.launchdarkly.config import LaunchDarklyConfig

__all__ = ["LaunchDarklyClient", "LaunchDarklyConfig", "LaunchDarklyFlagRemediator", "setup"]


def setup(config: LaunchDarklyConfig, session: aiohttp.ClientSession) -> LaunchDarklyFlagRemediator:
    """The LaunchDarkly remediator on the shared HTTP session."""
    return LaunchDarklyFlagRemediator(LaunchDarklyClient(config, session), config)
