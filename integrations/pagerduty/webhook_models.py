"""PagerDuty webhook v3 bodies (one event per POST)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PagerDutyReference(BaseModel):
    id: str = ""
    summary: str = ""
    html_url: str | None = None


class PagerDutyIncidentData(BaseModel):
    id: str = Field(min_length=1)
    number: int | None = None
    status: str = ""
    incident_key: str | None = None
    title: str = ""
    html_url: str | None = None
    urgency: str = "high"
    service: PagerDutyReference | None = None
    priority: PagerDutyReference | None = None


class PagerDutyEvent(BaseModel):
    id: str = Field(min_length=1)
    event_type: str = Field(min_length=1)
    resource_type: str = Field(min_length=1)
    occurred_at: datetime
    agent: PagerDutyReference | None = None
    data: dict[str, Any]


class PagerDutyWebhook(BaseModel):
    event: PagerDutyEvent
