"""PagerDuty webhook v3 bodies (one event per POST)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator


class PagerDutyReference(BaseModel):
    id: str = ""
    summary: str = ""
    html_url: str | None = None


# Lengths follow the columns these values land in (signals.fingerprint, delivery_id).
class PagerDutyIncidentData(BaseModel):
    id: str = Field(min_length=1, max_length=255)
    number: int | None = None
    status: str = ""
    incident_key: str | None = Field(default=None, max_length=255)
    title: str = ""
    html_url: str | None = None
    urgency: str = "high"
    service: PagerDutyReference | None = None
    priority: PagerDutyReference | None = None


class PagerDutyEvent(BaseModel):
    id: str = Field(min_length=1, max_length=255)
    event_type: str = Field(min_length=1, max_length=64)
    resource_type: str = Field(min_length=1, max_length=64)
    occurred_at: datetime
    agent: PagerDutyReference | None = None
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # A time without an offset is read as UTC rather than failing the comparison.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PagerDutyWebhook(BaseModel):
    event: PagerDutyEvent
