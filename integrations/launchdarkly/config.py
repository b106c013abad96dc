"""LaunchDarkly REST API settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from integrations.common.flag_config import FlagServiceConfig


class LaunchDarklyConfig(FlagServiceConfig):
    vendor: ClassVar[str] = "LaunchDarkly"

    # app.launchdarkly.us for the federal instance, app.eu.launchdarkly.com for the EU one.
    base_url: str = "https://app.launchdarkly.com"
    # Pinned so a token's own default version cannot change the shapes we read.
    api_version: str = Field(default="20240415", pattern=r"^[0-9]{8}$")
