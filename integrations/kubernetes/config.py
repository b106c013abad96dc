"""Kubernetes connection settings, target mapping and scaling bounds."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

TEMPLATE_FIELDS = frozenset({"environment", "service"})


def _check_template(value: str) -> str:
    """Accept only `{environment}` and `{service}` placeholders, without conversions."""
    for _, field, spec, conversion in string.Formatter().parse(value):
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS or spec or conversion:
            allowed = ", ".join(f"{{{name}}}" for name in sorted(TEMPLATE_FIELDS))
            raise ValueError(f"template may only use {allowed}, got {{{field}}}")
    return value


class InClusterCredentials(BaseModel):
    """The pod's service account token and CA, as mounted by Kubernetes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["in_cluster"] = "in_cluster"


class KubeconfigCredentials(BaseModel):
    """A kubeconfig file; the default path and current context when unset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["kubeconfig"] = "kubeconfig"
    path: Path | None = None
    context: str | None = None


class TokenCredentials(BaseModel):
    """An explicit API server URL, CA bundle and bearer token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["token"] = "token"
    host: str = Field(pattern=r"^https?://[^\s/]+")
    bearer_token: SecretStr
    ca_cert_path: Path | None = None
    verify_tls: bool = True

    @field_validator("host")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


Credentials = Annotated[
    InClusterCredentials | KubeconfigCredentials | TokenCredentials,
    Field(discriminator="kind"),
]


class DeploymentOverride(BaseModel):
    """Where one service's deployment lives when the templates do not fit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str | None = None
    deployment: str | None = None

    @field_validator("namespace", "deployment")
    @classmethod
    def _templates(cls, value: str | None) -> str | None:
        return None if value is None else _check_template(value)


class KubernetesConfig(BaseModel):
    """How to reach the cluster, which deployment an incident means, and how far to scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    credentials: Credentials = Field(default_factory=InClusterCredentials)
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    namespace_template: str = "{environment}"
    deployment_template: str = "{service}"
    # Keyed by "service" or, taking precedence, "environment/service".
    overrides: dict[str, DeploymentOverride] = Field(default_factory=dict)
    max_replicas_ceiling: int = Field(default=20, ge=1, le=1000)
    max_scale_factor: float = Field(default=2.0, ge=1.0, le=10.0)
    diagnostics_event_limit: int = Field(default=10, ge=0, le=50)
    # Previous logs of crashed containers: how many containers, and how much of each.
    diagnostics_log_containers: int = Field(default=3, ge=0, le=10)
    diagnostics_log_lines: int = Field(default=50, ge=1, le=500)
    diagnostics_log_bytes: int = Field(default=4000, ge=256, le=32768)

    @field_validator("namespace_template", "deployment_template")
    @classmethod
    def _templates(cls, value: str) -> str:
        return _check_template(value)
