"""Settings every feature-flag service shares: where it is, the token, the names we send."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Project, flag and environment keys become URL path segments: only URL-safe keys pass.
SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class FlagServiceConfig(BaseModel):
    """A flag service's API: its origin, a token, the project and our environment names."""

    # Inputs can be secrets (tokens, URLs with keys); validation errors must not echo them.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    # How messages name the service and its keys.
    vendor: ClassVar[str] = "flag service"
    key_noun: ClassVar[str] = "key"

    # The server's origin plus any context path.
    base_url: str
    # An API token with the right to switch flags; sent as-is, without "Bearer".
    token: SecretStr
    project: str = Field(default="default", pattern=SAFE_KEY.pattern)
    # Our environment name -> the vendor's environment key; unlisted names pass through.
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
    def _safe_environment_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for ours, theirs in value.items():
            if not SAFE_KEY.fullmatch(theirs):
                raise ValueError(
                    f"the {cls.vendor} environment for {ours!r} is not a valid {cls.key_noun}"
                )
        return value

    def vendor_environment(self, environment: str) -> str:
        """The vendor's environment key that our `environment` maps to."""
        return self.environments.get(environment, environment)

    @property
    def host(self) -> str:
        """The API's host name, safe to show in messages."""
        return urlsplit(self.base_url).hostname or ""
