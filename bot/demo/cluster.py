"""The sandbox cluster: a Kubernetes API over real HTTP (kmock) holding a few workloads.

Each workload is seeded the way a real cluster shows it: a Deployment with its revision,
the ReplicaSets of the last two revisions (`<deployment>-<pod-template-hash>`), the pods
of the current one (`<deployment>-<hash>-<suffix>`, the names kube-state-metrics puts in
the `pod` label) and the events a crash loop leaves behind.
"""

from __future__ import annotations

import copy
import hashlib
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kmock import KubernetesEmulator, Server, resource

DEPLOYMENTS = resource("apps", "v1", "deployments")
REPLICA_SETS = resource("apps", "v1", "replicasets")
PODS = resource("", "v1", "pods")
EVENTS = resource("", "v1", "events")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# The token the adapters file names; kmock takes any, a real API server would check it.
TOKEN = "sandbox-cluster-token"  # noqa: S105  (the sandbox cluster's own, not a secret)


@dataclass(frozen=True)
class Workload:
    """One Deployment of the sandbox cluster and the two images it has run."""

    namespace: str
    name: str
    image: str
    previous_image: str
    replicas: int = 3
    revision: int = 7
    crashing: bool = False

    def pod_hash(self, revision: int | None = None) -> str:
        """A stable pod-template-hash, as the Deployment controller derives one."""
        digest = hashlib.sha256(f"{self.name}:{revision or self.revision}".encode()).hexdigest()
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        return "".join(
            alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 20, 2)
        )

    def pod_names(self) -> list[str]:
        """The running pods: `<deployment>-<hash>-<five-char suffix>`."""
        return [
            f"{self.name}-{self.pod_hash()}-{suffix}" for suffix in ("x7k2p", "q9w4m", "t3n8d")
        ][: self.replicas]


WORKLOADS = (
    Workload(
        "shop",
        "checkout",
        "registry.local/checkout:2.14.0",
        "registry.local/checkout:2.13.2",
        crashing=True,
    ),
    Workload("shop", "cart", "registry.local/cart:1.9.3", "registry.local/cart:1.9.2"),
    Workload(
        "payments", "payments", "registry.local/payments:4.2.0", "registry.local/payments:4.1.7"
    ),
    Workload(
        "search",
        "search-api",
        "registry.local/search-api:3.0.1",
        "registry.local/search-api:3.0.0",
        replicas=2,
    ),
)


class SandboxCluster:
    """kmock serving the sandbox workloads; `deployments()` is what the web page shows."""

    def __init__(self, workloads: tuple[Workload, ...] = WORKLOADS) -> None:
        self.workloads = workloads
        self.emulator = KubernetesEmulator()
        self._stack = AsyncExitStack()
        self.url = ""

    async def start(self, now: datetime) -> None:
        """Serve the API on an ephemeral port with every workload seeded."""
        await self._stack.enter_async_context(self.emulator)
        server = await self._stack.enter_async_context(Server(self.emulator))
        self.url = str(server.url).rstrip("/")
        for key in ("apps/v1/deployments", "apps/v1/replicasets", "v1/pods", "v1/events"):
            # kmock serves only the resources it was told about; its typing misses the dict.
            resources: Any = self.emulator.resources
            resources[key] = {}
        for workload in self.workloads:
            self._seed(workload, now)

    async def stop(self) -> None:
        await self._stack.aclose()

    def deployment(self, namespace: str, name: str) -> dict[str, Any]:
        """The stored Deployment as the API would return it."""
        raw: dict[str, Any] = self.emulator.objects[DEPLOYMENTS, namespace, name].raw
        return raw

    def deployments(self) -> list[dict[str, Any]]:
        """Every workload's Deployment, for display: replicas, image, last restart."""
        shown = []
        for workload in self.workloads:
            deployment = self.deployment(workload.namespace, workload.name)
            template = deployment["spec"]["template"]
            annotations = template["metadata"].get("annotations") or {}
            shown.append(
                {
                    "namespace": workload.namespace,
                    "name": workload.name,
                    "replicas": deployment["spec"]["replicas"],
                    "image": template["spec"]["containers"][0]["image"],
                    "revision": deployment["metadata"]["annotations"][
                        "deployment.kubernetes.io/revision"
                    ],
                    "restarted_at": annotations.get(RESTARTED_AT),
                }
            )
        return shown

    def writes(self) -> list[dict[str, Any]]:
        """Every write request the API received: method, path, content type and body."""
        return [
            {
                "method": request.method.value,
                "path": request.url.path,
                "content_type": request.headers.get("Content-Type", ""),
                "body": request.data,
            }
            for request in self.emulator
            if request.method.value in {"PATCH", "PUT", "POST", "DELETE"}
        ]

    def _seed(self, workload: Workload, now: datetime) -> None:
        labels = {"app.kubernetes.io/name": workload.name}
        template = _pod_template(workload.name, workload.image, labels)
        uid = f"{hashlib.sha256(workload.name.encode()).hexdigest()[:8]}-sandbox"
        self.emulator.objects[DEPLOYMENTS, workload.namespace, workload.name] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": workload.name,
                "namespace": workload.namespace,
                "uid": uid,
                "generation": workload.revision,
                "labels": labels,
                "annotations": {"deployment.kubernetes.io/revision": str(workload.revision)},
            },
            "spec": {
                "replicas": workload.replicas,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate"},
                "template": template,
            },
            "status": _healthy(workload, available=0 if workload.crashing else workload.replicas),
        }
        for revision, image in (
            (workload.revision - 1, workload.previous_image),
            (workload.revision, workload.image),
        ):
            pod_hash = workload.pod_hash(revision)
            rs_template = _pod_template(
                workload.name, image, {**labels, "pod-template-hash": pod_hash}
            )
            current = revision == workload.revision
            self.emulator.objects[
                REPLICA_SETS, workload.namespace, f"{workload.name}-{pod_hash}"
            ] = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{workload.name}-{pod_hash}",
                    "namespace": workload.namespace,
                    "labels": rs_template["metadata"]["labels"],
                    "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                    "ownerReferences": [_owner("Deployment", workload.name, uid)],
                },
                "spec": {"replicas": workload.replicas if current else 0, "template": rs_template},
                "status": {"replicas": workload.replicas if current else 0},
            }
        for pod in workload.pod_names():
            self.emulator.objects[PODS, workload.namespace, pod] = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": pod,
                    "namespace": workload.namespace,
                    "ownerReferences": [
                        _owner("ReplicaSet", f"{workload.name}-{workload.pod_hash()}", uid + "-rs")
                    ],
                },
                "spec": copy.deepcopy(template["spec"]),
                "status": {"phase": "Running"},
            }
        if workload.crashing:
            pod = workload.pod_names()[0]
            self.emulator.objects[EVENTS, workload.namespace, f"{pod}.backoff"] = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{pod}.backoff", "namespace": workload.namespace},
                "involvedObject": {"kind": "Pod", "name": pod, "namespace": workload.namespace},
                "type": "Warning",
                "reason": "BackOff",
                "message": f"Back-off restarting failed container {workload.name} in pod {pod}",
                "count": 14,
                "lastTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }


def _pod_template(name: str, image: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"labels": dict(labels)},
        "spec": {
            "containers": [{"name": name, "image": image, "ports": [{"containerPort": 8080}]}]
        },
    }


def _owner(kind: str, name: str, uid: str) -> dict[str, Any]:
    api = "apps/v1"
    return {"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": True}


def _healthy(workload: Workload, *, available: int) -> dict[str, Any]:
    # A crash loop leaves the rollout complete (every replica updated and, between crashes,
    # available) while the pods keep failing readiness: `kubectl rollout status` reads the
    # first fields, the alert comes from the restarts.
    return {
        "observedGeneration": workload.revision,
        "replicas": workload.replicas,
        "updatedReplicas": workload.replicas,
        "readyReplicas": available,
        "availableReplicas": workload.replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
