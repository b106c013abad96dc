"""Slack connection settings."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class SlackConfig(BaseModel):
    bot_token: SecretStr
    api_url: str | None = None
    channel_create_per_minute: float = Field(default=20.0, gt=0)
    messages_per_second_per_channel: float = Field(default=1.0, gt=0)
    # chat.update is Tier 3 for the whole workspace (about 50 a minute), apart from the
    # per-channel message pace; a storm's card edits would otherwise meet 429s.
    updates_per_minute: float = Field(default=50.0, gt=0)
    updates_burst: float = Field(default=20.0, ge=1)
    max_rate_limit_retries: int = Field(default=5, ge=0)
