"""Stock alerts for the sandbox, as Alertmanager 0.25 delivers them (webhook v4).

The labels are those of the kube-prometheus rules as kube-state-metrics, node-exporter
and Prometheus attach them: the exporter's own `job`, `service`, `endpoint`, `instance`
and `container`/`pod` labels are there too, so the subject resolution has to see
through them exactly as it does in a real cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.demo.cluster import WORKLOADS, Workload

_KSM = {
    "endpoint": "http",
    "instance": "10.244.1.7:8080",
    "job": "kube-state-metrics",
    "prometheus": "monitoring/k8s",
    "service": "kube-state-metrics",
}
_RUNBOOKS = "https://runbooks.prometheus-operator.dev/runbooks"
_EXTERNAL_URL = "http://alertmanager.monitoring:9093"


@dataclass(frozen=True)
class DemoAlert:
    """One alert: its labels and annotations, verbatim."""

    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Alertmanager's fingerprint: FNV-1a 64 over the sorted label pairs."""
        value = 0xCBF29CE484222325
        for name in sorted(self.labels):
            for byte in name.encode() + b"\xff" + self.labels[name].encode() + b"\xff":
                value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return f"{value:016x}"


def crash_looping(workload: Workload) -> DemoAlert:
    """KubePodCrashLooping for the first pod of a workload."""
    pod = workload.pod_names()[0]
    return DemoAlert(
        {
            "alertname": "KubePodCrashLooping",
            **_KSM,
            "container": workload.name,
            "namespace": workload.namespace,
            "pod": pod,
            "reason": "CrashLoopBackOff",
            "severity": "warning",
            "uid": f"{workload.pod_hash()}-0001",
        },
        {
            "description": (
                f"Pod {workload.namespace}/{pod} ({workload.name}) is in waiting state "
                '(reason: "CrashLoopBackOff").'
            ),
            "runbook_url": f"{_RUNBOOKS}/kubernetes/kubepodcrashlooping",
            "summary": "Pod is crash looping.",
        },
    )


def replicas_mismatch(workload: Workload) -> DemoAlert:
    """KubeDeploymentReplicasMismatch for a workload."""
    return DemoAlert(
        {
            "alertname": "KubeDeploymentReplicasMismatch",
            **_KSM,
            "container": "kube-rbac-proxy-main",
            "deployment": workload.name,
            "namespace": workload.namespace,
            "pod": "kube-state-metrics-6d4f7b9c8-ks2lq",
            "severity": "warning",
        },
        {
            "description": (
                f"Deployment {workload.namespace}/{workload.name} has not matched the expected "
                "number of replicas for longer than 15 minutes."
            ),
            "runbook_url": f"{_RUNBOOKS}/kubernetes/kubedeploymentreplicasmismatch",
            "summary": "Deployment has not matched the expected number of replicas.",
        },
    )


def filesystem_filling_up() -> DemoAlert:
    """NodeFilesystemSpaceFillingUp from node-exporter."""
    return DemoAlert(
        {
            "alertname": "NodeFilesystemSpaceFillingUp",
            "container": "node-exporter",
            "device": "/dev/nvme0n1p1",
            "endpoint": "https",
            "fstype": "ext4",
            "instance": "ip-10-0-1-5",
            "job": "node-exporter",
            "mountpoint": "/",
            "namespace": "monitoring",
            "pod": "node-exporter-7xk2p",
            "prometheus": "monitoring/k8s",
            "service": "node-exporter",
            "severity": "critical",
        },
        {
            "description": (
                "Filesystem on /dev/nvme0n1p1, mounted on /, at ip-10-0-1-5 has only 7.31% "
                "available space left and is filling up fast."
            ),
            "runbook_url": f"{_RUNBOOKS}/node/nodefilesystemspacefillingup",
            "summary": "Filesystem is predicted to run out of space within the next 4 hours.",
        },
    )


def checkout_crash() -> DemoAlert:
    """The demo alert: the checkout deployment crash looping after its deploy."""
    return crash_looping(WORKLOADS[0])


# What the web page's menu offers: a name and the alerts it fires.
STOCK_ALERTS: dict[str, list[DemoAlert]] = {
    "KubePodCrashLooping shop/checkout": [checkout_crash()],
    "KubeDeploymentReplicasMismatch shop/cart": [replicas_mismatch(WORKLOADS[1])],
    "NodeFilesystemSpaceFillingUp ip-10-0-1-5": [filesystem_filling_up()],
}


def storm(services: int = 8) -> list[DemoAlert]:
    """A crash loop in many services at once (more than the policy's circuit breaker)."""
    alerts = []
    for index in range(services):
        workload = Workload(
            f"team-{index:02d}",
            f"svc-{index:02d}",
            "registry.local/svc:1.0",
            "registry.local/svc:0.9",
        )
        alerts.append(crash_looping(workload))
    return alerts


def webhook_body(
    alerts: list[DemoAlert], *, status: str, starts_at: datetime, ends_at: datetime | None = None
) -> bytes:
    """An Alertmanager webhook v4 body for one group of alerts."""
    stamp = _stamp(starts_at)
    end = _stamp(ends_at) if ends_at is not None else "0001-01-01T00:00:00Z"
    common_labels = {
        k: v for k, v in alerts[0].labels.items() if all(a.labels.get(k) == v for a in alerts)
    }
    common_annotations = {
        k: v
        for k, v in alerts[0].annotations.items()
        if all(a.annotations.get(k) == v for a in alerts)
    }
    group = {"alertname": alerts[0].labels["alertname"]}
    if "namespace" in common_labels:
        group["namespace"] = common_labels["namespace"]
    body: dict[str, Any] = {
        "receiver": "smokejumper",
        "status": status,
        "alerts": [
            {
                "status": status,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "startsAt": stamp,
                "endsAt": end,
                "generatorURL": (
                    "http://prometheus.monitoring:9090/graph?g0.expr=" + alert.labels["alertname"]
                ),
                "fingerprint": alert.fingerprint,
            }
            for alert in alerts
        ],
        "groupLabels": group,
        "commonLabels": common_labels,
        "commonAnnotations": common_annotations,
        "externalURL": _EXTERNAL_URL,
        "version": "4",
        "groupKey": "{}:{" + ", ".join(f'{k}="{v}"' for k, v in group.items()) + "}",
        "truncatedAlerts": 0,
    }
    return json.dumps(body).encode()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
