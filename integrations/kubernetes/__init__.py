"""Kubernetes remediation: restart, roll back, scale and inspect a service's Deployment."""

from integrations.kubernetes.adapter import KubernetesRemediator, setup
from integrations.kubernetes.config import KubernetesConfig

__all__ = ["KubernetesConfig", "KubernetesRemediator", "setup"]
