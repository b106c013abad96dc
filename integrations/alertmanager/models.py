"""The Alertmanager webhook body, version 4."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AlertmanagerAlert(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(min_length=1, max_length=255)


class AlertmanagerWebhook(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    group_key: str = Field(default="", alias="groupKey", max_length=255)
    external_url: str = Field(default="", alias="externalURL")
    # Each alert is validated on its own (source.normalize), so one bad alert is
    # reported and skipped instead of refusing the batch Alertmanager would re-send.
    alerts: list[Any] = Field(min_length=1)
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts")
