"""Config validation and the (environment, service) → (namespace, deployment) mapping."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.ports.adapters import AdapterError
from integrations.kubernetes.config import (
    InClusterCredentials,
    KubeconfigCredentials,
    KubernetesConfig,
    TokenCredentials,
)
from integrations.kubernetes.targets import DeploymentRef, checked_ref, resolve_target
from tests.kubernetes.conftest import TOKEN


def test_defaults_map_environment_to_namespace_and_service_to_deployment() -> None:
    config = KubernetesConfig()
    assert resolve_target(config, "prod", "payments") == DeploymentRef("prod", "payments")
    assert isinstance(config.credentials, InClusterCredentials)
    assert config.max_scale_factor == 2.0


def test_templates_and_overrides() -> None:
    config = KubernetesConfig.model_validate(
        {
            "namespace_template": "{service}-{environment}",
            "deployment_template": "{service}-web",
            "overrides": {
                "payments": {"deployment": "payments-api"},
                "staging/payments": {"namespace": "shared-staging"},
                "ledger": {"namespace": "finance", "deployment": "{service}-{environment}"},
            },
        }
    )
    assert resolve_target(config, "prod", "search") == DeploymentRef("search-prod", "search-web")
    # A service override keeps the templates for what it does not set.
    assert resolve_target(config, "prod", "payments") == DeploymentRef(
        "payments-prod", "payments-api"
    )
    # "environment/service" wins over "service".
    assert resolve_target(config, "staging", "payments") == DeploymentRef(
        "shared-staging", "payments-web"
    )
    assert resolve_target(config, "prod", "ledger") == DeploymentRef("finance", "ledger-prod")


@pytest.mark.parametrize(
    ("environment", "service"),
    [("Prod", "payments"), ("prod", "../secrets"), ("prod", "a" * 254), ("prod", "pay ments")],
)
def test_names_kubernetes_would_refuse_are_refused(environment: str, service: str) -> None:
    with pytest.raises(AdapterError) as caught:
        resolve_target(KubernetesConfig(), environment, service)
    assert caught.value.code == "invalid_target"
    assert not caught.value.retryable
    assert len(caught.value.message) < 300


def test_stored_references_are_checked_too() -> None:
    assert checked_ref("prod", "payments.v2") == DeploymentRef("prod", "payments.v2")
    with pytest.raises(AdapterError):
        checked_ref("prod", "payments/../x")


@pytest.mark.parametrize(
    "template", ["{environment.__class__}", "{team}", "{service!r}", "{service:>10}"]
)
def test_templates_only_take_the_two_plain_placeholders(template: str) -> None:
    with pytest.raises(ValidationError):
        KubernetesConfig(namespace_template=template)
    with pytest.raises(ValidationError):
        KubernetesConfig.model_validate({"overrides": {"payments": {"deployment": template}}})


def test_bounds_are_validated() -> None:
    with pytest.raises(ValidationError):
        KubernetesConfig(max_scale_factor=0.5)
    with pytest.raises(ValidationError):
        KubernetesConfig(max_replicas_ceiling=0)


def test_credentials_are_chosen_by_kind_and_the_token_stays_hidden() -> None:
    config = KubernetesConfig.model_validate(
        {"credentials": {"kind": "token", "host": "https://k8s.local:6443/", "bearer_token": TOKEN}}
    )
    assert isinstance(config.credentials, TokenCredentials)
    assert config.credentials.host == "https://k8s.local:6443"
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert TOKEN not in config.model_dump_json()
    kubeconfig = KubernetesConfig.model_validate(
        {"credentials": {"kind": "kubeconfig", "context": "prod-admin"}}
    )
    assert isinstance(kubeconfig.credentials, KubeconfigCredentials)
    with pytest.raises(ValidationError):
        KubernetesConfig.model_validate({"credentials": {"kind": "token", "host": "k8s.local"}})
