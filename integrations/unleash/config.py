"""Unleash Admin API settings."""

from __future__ import annotations

from typing import ClassVar

from integrations.common.flag_config import FlagServiceConfig


class UnleashConfig(FlagServiceConfig):
    # The token is an admin API token (or a personal access token).
    vendor: ClassVar[str] = "Unleash"
    key_noun: ClassVar[str] = "name"
