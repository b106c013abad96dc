"""LaunchDarkly REST API settings."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Project, flag and environment keys become URL path segments: only URL-safe keys pass.
SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class LaunchDarklyConfig(BaseModel):
    # Inputs can be secrets (tokens, URLs with keys); validation errors must not echo them.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    # app.launchdarkly.us for the federal instance, app.eu.launchdarkly.com for the EU one.
    base_url: str = "https://app.launchdarkly.com"
    # A personal or service access token with writer rights; sent as-is, without "Bearer".
    token: SecretStr
    project: str = Field(default="default", pattern=SAFE_KEY.pattern)
    # Our environment name -> the LaunchDarkly environment key; unlisted names pass through.
    environments: dict[str, str] = Field(default_factory=dict)
    # Pinned so a token's own default version cannot change the shapes we read.
    api_version: str = Field(default="20240415", pattern=r"^[0-9]{8}$")
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
    def _safe_environment_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for ours, theirs in value.items():
            if not SAFE_KEY.fullmatch(theirs):
                raise ValueError(f"the LaunchDarkly environment for {ours!r} is not a valid key")
        return value

    def launchdarkly_environment(self, environment: str) -> str:
        """The LaunchDarkly environment key that our `environment` maps to."""
        return self.environments.get(environment, environment)

    @property
    def host(self) -> str:
        """The API's host name, safe to show in messages."""
        return urlsplit(self.base_url).hostname or ""
