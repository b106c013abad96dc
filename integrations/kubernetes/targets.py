"""Which deployment an incident's (environment, service) means."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.subject import SubjectKind
from bot.ports.adapters import AdapterError
from bot.ports.remediation import ActionRequest
from integrations.kubernetes.config import KubernetesConfig

# Namespaces are DNS-1123 labels, Deployment names DNS-1123 subdomains.
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_NAMESPACE = re.compile(_DNS_LABEL)
_DEPLOYMENT = re.compile(rf"(?=.{{1,253}}$){_DNS_LABEL}(?:\.{_DNS_LABEL})*")


@dataclass(frozen=True, slots=True)
class DeploymentRef:
    """One Deployment by namespace and name."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def resolve_target(config: KubernetesConfig, environment: str, service: str) -> DeploymentRef:
    """The deployment for an incident's scope; refuses names Kubernetes would not accept."""
    override = config.overrides.get(f"{environment}/{service}") or config.overrides.get(service)
    namespace_template = config.namespace_template
    deployment_template = config.deployment_template
    if override is not None:
        namespace_template = override.namespace or namespace_template
        deployment_template = override.deployment or deployment_template
    namespace = namespace_template.format(environment=environment, service=service)
    name = deployment_template.format(environment=environment, service=service)
    scope = f"{environment[:64]}/{service[:64]}"
    if not _NAMESPACE.fullmatch(namespace):
        raise AdapterError(
            "invalid_target",
            f"{namespace[:80]!r} (for {scope}) is not a valid namespace name",
            retryable=False,
        )
    if not _DEPLOYMENT.fullmatch(name):
        raise AdapterError(
            "invalid_target",
            f"{name[:80]!r} (for {scope}) is not a valid deployment name",
            retryable=False,
        )
    return DeploymentRef(namespace=namespace, name=name)


def request_target(config: KubernetesConfig, request: ActionRequest) -> DeploymentRef:
    """The deployment an action acts on: its subject when that names a Deployment exactly,
    else the mapping of the incident's service."""
    subject = request.subject
    if (
        subject is not None
        and subject.kind is SubjectKind.DEPLOYMENT
        and subject.namespace
        and subject.name
    ):
        return checked_ref(subject.namespace, subject.name)
    return resolve_target(config, request.environment, request.service)


def checked_ref(namespace: str, name: str) -> DeploymentRef:
    """A DeploymentRef from stored names, refused when either is not a valid Kubernetes name."""
    if not _NAMESPACE.fullmatch(namespace) or not _DEPLOYMENT.fullmatch(name):
        raise AdapterError(
            "invalid_target",
            f"{namespace[:80]!r}/{name[:80]!r} is not a valid deployment reference",
            retryable=False,
        )
    return DeploymentRef(namespace=namespace, name=name)
