"""The generic webhook body: one alert, signed, with its sending time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class GenericLink(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https?://", max_length=2000)


class GenericAlert(BaseModel):
    """See README, "Generic webhook"."""

    model_config = ConfigDict(extra="forbid")

    timestamp: datetime
    dedup_key: str = Field(min_length=1, max_length=255)
    status: Literal["firing", "resolved"]
    service: str = Field(min_length=1, max_length=255)
    summary: str = Field(min_length=1, max_length=2000)
    severity: str = "warning"
    environment: str | None = Field(default=None, max_length=64)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    links: list[GenericLink] = Field(default_factory=list, max_length=20)
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @field_validator("timestamp", "starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
