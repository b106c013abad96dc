"""Unleash Admin API settings."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Project, flag and environment names become URL path segments: only URL-safe names pass.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class UnleashConfig(BaseModel):
    # Inputs can be secrets (tokens, URLs with keys); validation errors must not echo them.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    # The server's origin plus any context path, e.g. https://unleash.example.com.
    base_url: str
    # An admin API token (or a personal access token); sent as-is, without "Bearer".
    token: SecretStr
    project: str = Field(default="default", pattern=SAFE_NAME.pattern)
    # Our environment name -> the Unleash environment it toggles; unlisted names pass through.
    environments: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("base_url")
    @classmethod
    def _plain_http_origin(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL")
        # Credentials or a query here would end up in logs; the token has its own field.
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("must not carry credentials, a query or a fragment")
        return value.rstrip("/")

    @field_validator("environments")
    @classmethod
    def _safe_environment_names(cls, value: dict[str, str]) -> dict[str, str]:
        for ours, theirs in value.items():
            if not SAFE_NAME.fullmatch(theirs):
                raise ValueError(f"the Unleash environment for {ours!r} is not a URL-safe name")
        return value

    def unleash_environment(self, environment: str) -> str:
        """The Unleash environment that our `environment` maps to."""
        return self.environments.get(environment, environment)

    @property
    def host(self) -> str:
        """The server's host name, safe to show in messages."""
        return urlsplit(self.base_url).hostname or ""
