"""The change-event intake body: deploys, config changes and flag flips, signed and dated."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from policies.runbooks import ChangeKind

MAX_CHANGES_PER_REQUEST = 100


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ChangeItem(BaseModel):
    """One change; (`source`, `id`) identifies it, so a resend is recorded once."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255)
    source: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    service: str = Field(min_length=1, max_length=255)
    environment: str | None = Field(default=None, min_length=1, max_length=64)
    kind: ChangeKind
    description: str = Field(min_length=1, max_length=2000)
    subject: str = Field(default="", max_length=255)
    url: str | None = Field(default=None, pattern=r"^https?://", max_length=2000)
    actor: str = Field(default="", max_length=255)
    at: datetime

    _at_aware = field_validator("at")(_aware)

    @property
    def pointer(self) -> str:
        """Where a responder (or a model's evidence) can check this change."""
        return self.url or f"change:{self.source}/{self.id}"


class ChangeReport(BaseModel):
    """See README, "Change events"."""

    model_config = ConfigDict(extra="forbid")

    timestamp: datetime
    changes: list[ChangeItem] = Field(min_length=1, max_length=MAX_CHANGES_PER_REQUEST)

    _timestamp_aware = field_validator("timestamp")(_aware)
