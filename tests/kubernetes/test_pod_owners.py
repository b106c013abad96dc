"""Pod ownership through the API (kmock): pod → ReplicaSet → Deployment, cached."""

from __future__ import annotations

from typing import Any

from kmock import KubernetesEmulator, resource

from bot.domain.subject import Subject, SubjectKind
from bot.subjects.refine import refine_subject
from integrations.kubernetes.adapter import KubernetesRemediator
from tests.kubernetes.conftest import REPLICA_SETS

PODS = resource("", "v1", "pods")


def _owned(kind: str, name: str, owner_kind: str, owner: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "prod",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "controller": True}
            ],
        },
    }


def _pod_subject(name: str) -> Subject:
    return Subject(
        kind=SubjectKind.POD,
        namespace="prod",
        name=name,
        environment="production",
        service=name,
        derived_from=("pod label (owner unknown)",),
    )


async def test_a_pod_resolves_to_its_deployment_through_its_replicaset(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    cluster.resources["v1/pods"] = {}
    cluster.objects[PODS, "prod", "web"] = _owned("Pod", "web", "ReplicaSet", "payments-h3abc")
    cluster.objects[REPLICA_SETS, "prod", "payments-h3abc"] = _owned(
        "ReplicaSet", "payments-h3abc", "Deployment", "payments"
    )

    refined = await refine_subject(_pod_subject("web"), remediator)

    assert (refined.kind, refined.namespace, refined.name) == (
        SubjectKind.DEPLOYMENT,
        "prod",
        "payments",
    )
    assert refined.service == "payments"
    assert refined.derived_from[-1] == "ownerReferences of pod web"
    # Cached: the answer holds after the pod is gone.
    del cluster.objects[PODS, "prod", "web"]
    assert await remediator.owner_of("prod", "web") == ("deployment", "payments")


async def test_a_statefulset_pod_and_an_unknown_pod(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    cluster.resources["v1/pods"] = {}
    cluster.objects[PODS, "prod", "db"] = _owned("Pod", "db", "StatefulSet", "postgres")

    assert await remediator.owner_of("prod", "db") == ("statefulset", "postgres")
    # A pod the API does not know stays a pod: no action can target it.
    missing = await refine_subject(_pod_subject("ghost"), remediator)
    assert missing.kind is SubjectKind.POD and missing.name == "ghost"
