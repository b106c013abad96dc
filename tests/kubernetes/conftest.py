"""An in-memory Kubernetes API over real HTTP (kmock), and builders for the objects it holds."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from kmock import KubernetesEmulator, KubernetesError, Request, Server, resource

from bot.ports.remediation import ActionRequest
from integrations.kubernetes.adapter import KubernetesRemediator
from integrations.kubernetes.client import KubernetesClient, build_api_client
from integrations.kubernetes.config import KubernetesConfig, TokenCredentials

TOKEN = "sk8s-test-token-9f2c4e71d0"
DEPLOYMENTS = resource("apps", "v1", "deployments")
REPLICA_SETS = resource("apps", "v1", "replicasets")
EVENTS = resource("", "v1", "events")
PODS = resource("", "v1", "pods")
DEPLOYMENT_UID = "0b7f6c2e-2a52-4d6f-9a8e-5a3b1f7d9c10"
NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
WRITE_METHODS = frozenset({"PATCH", "PUT", "POST", "DELETE"})


@pytest.fixture
async def cluster() -> AsyncIterator[KubernetesEmulator]:
    async with KubernetesEmulator() as emulator, Server(emulator):
        for name in ("apps/v1/deployments", "apps/v1/replicasets", "v1/events", "v1/pods"):
            emulator.resources[name] = {}
        # A real API server refuses a request without the cluster's bearer token.
        emulator[lambda request: request.headers.get("Authorization") != f"Bearer {TOKEN}"] << (
            KubernetesError(status=401, reason="Unauthorized", message="Unauthorized")
        )
        yield emulator


def config_for(cluster: KubernetesEmulator, **fields: Any) -> KubernetesConfig:
    credentials = TokenCredentials(host=str(cluster.url), bearer_token=TOKEN)
    return KubernetesConfig.model_validate({"credentials": credentials, **fields})


@pytest.fixture
async def remediator(cluster: KubernetesEmulator) -> AsyncIterator[KubernetesRemediator]:
    config = config_for(cluster)
    client = KubernetesClient(
        await build_api_client(config), timeout_seconds=config.request_timeout_seconds
    )
    adapter = KubernetesRemediator(client, config, clock=lambda: NOW)
    yield adapter
    await adapter.close()


def pod_template(image: str, *, hash_label: str | None = None) -> dict[str, Any]:
    labels = {"app": "payments"}
    if hash_label:
        labels["pod-template-hash"] = hash_label
    return {
        "metadata": {"labels": labels, "annotations": {"team": "payments"}},
        "spec": {
            "containers": [
                {"name": "api", "image": image, "ports": [{"containerPort": 8080}]},
            ],
        },
    }


def make_deployment(
    *,
    replicas: int = 3,
    image: str = "registry.local/payments:1.3",
    revision: int = 3,
    paused: bool = False,
    status: Mapping[str, Any] | None = None,
    generation: int = 4,
    resource_version: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": "payments",
        "namespace": "prod",
        "uid": DEPLOYMENT_UID,
        "generation": generation,
        "annotations": {
            "deployment.kubernetes.io/revision": str(revision),
            "owner": "team-payments",
        },
    }
    if resource_version:
        metadata["resourceVersion"] = resource_version
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "payments"}},
        "strategy": {"type": "RollingUpdate"},
        "template": pod_template(image),
    }
    if paused:
        spec["paused"] = True
    healthy = {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": spec,
        "status": dict(status) if status is not None else healthy,
    }


def make_replica_set(
    revision: int,
    image: str,
    *,
    owner_uid: str = DEPLOYMENT_UID,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    hash_label = f"h{revision}abc"
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"payments-{hash_label}",
            "namespace": "prod",
            "labels": {"app": "payments", "pod-template-hash": hash_label},
            "annotations": {
                "deployment.kubernetes.io/revision": str(revision),
                "owner": "team-payments",
                **(annotations or {}),
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "payments",
                    "uid": owner_uid,
                    "controller": True,
                }
            ],
        },
        "spec": {"replicas": 0, "template": pod_template(image, hash_label=hash_label)},
        "status": {"replicas": 0, "readyReplicas": 0},
    }


def seed_deployment(cluster: KubernetesEmulator, deployment: dict[str, Any]) -> None:
    cluster.objects[DEPLOYMENTS, "prod", deployment["metadata"]["name"]] = copy.deepcopy(deployment)


def seed_replica_sets(cluster: KubernetesEmulator, *replica_sets: dict[str, Any]) -> None:
    for replica_set in replica_sets:
        namespace = replica_set["metadata"]["namespace"]
        cluster.objects[REPLICA_SETS, namespace, replica_set["metadata"]["name"]] = copy.deepcopy(
            replica_set
        )


def stored_deployment(cluster: KubernetesEmulator) -> dict[str, Any]:
    return cluster.objects[DEPLOYMENTS, "prod", "payments"].raw


def writes(cluster: KubernetesEmulator) -> list[Request]:
    return [request for request in cluster if request.method.value in WRITE_METHODS]


def action_request(
    action: str,
    params: Mapping[str, str] | None = None,
    *,
    key: str = "inc-42:action-1",
    environment: str = "prod",
    service: str = "payments",
) -> ActionRequest:
    return ActionRequest(
        action=action,
        service=service,
        environment=environment,
        params=dict(params or {}),
        idempotency_key=key,
        incident_id="inc-42",
    )


def _without_hash(template: Mapping[str, Any]) -> dict[str, Any]:
    clean = copy.deepcopy(dict(template))
    clean.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return clean


def controller_step(cluster: KubernetesEmulator, name: str = "payments") -> str:
    """Do what the Deployment controller does after a template change; the active ReplicaSet.

    The ReplicaSet whose template matches is reused, else a new one is made; either way it
    becomes the newest revision, as `kubectl rollout undo` shows on a real cluster.
    """
    deployment = cluster.objects[DEPLOYMENTS, "prod", name].raw
    template = deployment["spec"]["template"]
    owned = [
        cluster.objects[key].raw
        for key in list(cluster.objects)
        if key[0] == REPLICA_SETS and key[1] == "prod"
    ]
    revisions = [
        int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) for rs in owned
    ]
    newest = max(revisions, default=0) + 1
    active = next(
        (rs for rs in owned if _without_hash(rs["spec"]["template"]) == _without_hash(template)),
        None,
    )
    if active is None:
        active = make_replica_set(newest, template["spec"]["containers"][0]["image"])
        active["spec"]["template"] = copy.deepcopy(template)
        active["metadata"]["name"] = f"{name}-r{newest}"
    active["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(newest)
    seed_replica_sets(cluster, active)
    stored = copy.deepcopy(deployment)
    stored["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(newest)
    seed_deployment(cluster, stored)
    return str(active["metadata"]["name"])
