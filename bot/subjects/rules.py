"""What subject resolution needs to know about a site: its exporters, environments, services."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from bot.subjects.conventions import pod_owner
from bot.subjects.services_file import ServiceCatalog

# Scrape targets that report on other things. Their names in `job`, `service`,
# `endpoint`, `container` or as a pod's prefix are provenance, never the subject.
DEFAULT_EXPORTERS: tuple[str, ...] = (
    "kube-state-metrics",
    "node-exporter",
    "node_exporter",
    "prometheus-node-exporter",
    "windows-exporter",
    "kubelet",
    "cadvisor",
    "blackbox",
    "blackbox-exporter",
    "prometheus-blackbox-exporter",
    "prometheus",
    "prometheus-k8s",
    "prometheus-operator",
    "alertmanager",
    "alertmanager-main",
    "pushgateway",
    "kube-prometheus-stack-kube-state-metrics",
    "kube-prometheus-stack-prometheus-node-exporter",
    "kube-prometheus-stack-prometheus",
    "kube-prometheus-stack-alertmanager",
    "kube-prometheus-stack-operator",
    "cert-manager",
    "event-exporter",
    "process-exporter",
    "falcosidekick",
    "falco-exporter",
    "argocd-application-controller",
    "argocd-application-controller-metrics",
    "argocd-server",
    "argocd-server-metrics",
    "argocd-repo-server",
    "kustomize-controller",
    "helm-controller",
    "source-controller",
    "notification-controller",
)
# `postgres-exporter`, `redis_exporter_targets`: an exporter whatever it reports on.
_EXPORTER_NAME = re.compile(r".*[-_]exporter([-_].*)?$")
# The job of a node-level exporter: its `instance` names a node.
NODE_JOBS: frozenset[str] = frozenset(
    {"node", "node-exporter", "node_exporter", "prometheus-node-exporter", "windows-exporter"}
)


@dataclass(frozen=True)
class SubjectRules:
    """Site knowledge for subject resolution; defaults suit a stock kube-prometheus."""

    default_environment: str = "production"
    exporters: frozenset[str] = frozenset(DEFAULT_EXPORTERS)
    # (glob, environment) pairs tried in order on the cluster label, then the namespace.
    environment_map: tuple[tuple[str, str], ...] = ()
    services: ServiceCatalog = field(default_factory=ServiceCatalog)

    def is_exporter(self, value: str | None) -> bool:
        if not value:
            return False
        lowered = value.casefold()
        return lowered in self.exporters or _EXPORTER_NAME.fullmatch(lowered) is not None

    def is_exporter_pod(self, pod: str | None) -> bool:
        """Whether `pod` is one of an exporter's own pods (`node-exporter-7x2kq`)."""
        if not pod:
            return False
        lowered = pod.casefold()
        owner = pod_owner(lowered)
        if owner is not None and _EXPORTER_NAME.fullmatch(owner.name):
            return True
        return any(
            lowered == name or lowered.startswith(name + "-")
            for name in self.exporters
            # Too short to be a safe prefix of a pod name.
            if len(name) >= 6
        )

    def environment_for(self, value: str) -> str | None:
        """The environment a cluster or namespace name maps to, if any rule says."""
        lowered = value.casefold()
        return next(
            (env for pattern, env in self.environment_map if fnmatch.fnmatchcase(lowered, pattern)),
            None,
        )


def parse_environment_map(text: str) -> tuple[tuple[str, str], ...]:
    """`glob=environment` pairs separated by commas, e.g. `prod-*=production,stg-*=staging`."""
    pairs: list[tuple[str, str]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        pattern, sep, environment = item.partition("=")
        if not sep or not pattern.strip() or not environment.strip():
            raise ValueError(f"{item!r} is not glob=environment")
        pairs.append((pattern.strip().casefold(), environment.strip()))
    return tuple(pairs)
