"""Registered remediation webhooks: where each one points and how it is signed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# The catalog's run_webhook parameter pattern: a name, never a URL.
WEBHOOK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    return value


def host_of(url: str) -> str:
    """The host name of `url`: the only part of a webhook URL that is safe to show."""
    return urlsplit(url).hostname or "?"


class RegisteredWebhook(BaseModel):
    """One webhook a runbook may call by name."""

    # Inputs can be secrets (tokens, URLs with keys); validation errors must not echo them.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    # URLs may carry a token in their path or query, so they stay out of reprs and messages.
    url: str = Field(repr=False)
    # Signs every request body: X-Smokejumper-Signature: sha256=<hex HMAC-SHA256>.
    secret: SecretStr
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    success_statuses: frozenset[int] = Field(default=frozenset(range(200, 300)), min_length=1)
    # GET after the call: 2xx means the remediation took effect.
    status_url: str | None = Field(default=None, repr=False)
    # Another registered webhook that undoes this one.
    rollback_webhook: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("status_url")
    @classmethod
    def _status_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("success_statuses")
    @classmethod
    def _statuses(cls, value: frozenset[int]) -> frozenset[int]:
        if any(not 200 <= status <= 599 for status in value):
            raise ValueError("must be HTTP statuses between 200 and 599")
        return value


class WebhookActionConfig(BaseModel):
    # Inputs can be secrets (tokens, URLs with keys); validation errors must not echo them.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    webhooks: dict[str, RegisteredWebhook] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_resolve(self) -> WebhookActionConfig:
        for name, webhook in self.webhooks.items():
            if not WEBHOOK_NAME.fullmatch(name):
                raise ValueError(f"webhook name {name!r} must match {WEBHOOK_NAME.pattern}")
            rollback = webhook.rollback_webhook
            if rollback is not None and (rollback == name or rollback not in self.webhooks):
                raise ValueError(
                    f"webhook {name!r} names rollback webhook {rollback!r}, "
                    "which must be another registered webhook"
                )
        return self
