"""describe() reads and never writes; verify() reads the rollout status of the live object."""

from __future__ import annotations

import pytest
from kmock import KubernetesEmulator

from bot.ports.remediation import ExecutionResult, VerifyStatus
from integrations.kubernetes.adapter import KubernetesRemediator
from tests.kubernetes.conftest import (
    DEPLOYMENTS,
    action_request,
    make_deployment,
    make_replica_set,
    seed_deployment,
    seed_replica_sets,
    stored_deployment,
    writes,
)

IMAGE = "registry.local/payments:1.{}"


@pytest.fixture
def seeded(cluster: KubernetesEmulator) -> KubernetesEmulator:
    seed_deployment(cluster, make_deployment(replicas=3, image=IMAGE.format(7), revision=7))
    seed_replica_sets(
        cluster,
        make_replica_set(6, IMAGE.format(6)),
        make_replica_set(7, IMAGE.format(7)),
    )
    return cluster


@pytest.mark.parametrize(
    ("action", "params", "summary"),
    [
        (
            "restart_deployment",
            {},
            "restart deployment prod/payments (3 replicas, rolling update) by setting restartedAt",
        ),
        (
            "scale_deployment",
            {"replicas_delta": "2", "max_replicas": "6"},
            "scale prod/payments from 3 to 5 replicas (ceiling 6)",
        ),
        (
            "rollback_deployment",
            {},
            "roll prod/payments back from revision 7 to revision 6 "
            f"(image {IMAGE.format(7)} → {IMAGE.format(6)})",
        ),
        (
            "collect_diagnostics",
            {},
            "read deployment prod/payments (3 replicas): status, conditions, ReplicaSets and "
            "recent events; changes nothing",
        ),
    ],
)
async def test_describe_says_what_would_change_and_writes_nothing(
    seeded: KubernetesEmulator,
    remediator: KubernetesRemediator,
    action: str,
    params: dict[str, str],
    summary: str,
) -> None:
    before = stored_deployment(seeded)

    plan = await remediator.describe(action_request(action, params))

    assert plan.summary == summary
    assert plan.adapter == "kubernetes"
    assert plan.details["namespace"] == "prod"
    assert plan.details["deployment"] == "payments"
    assert len(seeded) >= 1  # it did read the live object
    assert all(request.method.value == "GET" for request in seeded)
    assert writes(seeded) == []
    assert stored_deployment(seeded) == before


STATUSES = [
    (
        {
            "observedGeneration": 4,
            "replicas": 3,
            "updatedReplicas": 3,
            "availableReplicas": 3,
        },
        VerifyStatus.HEALTHY,
    ),
    (
        {
            "observedGeneration": 4,
            "replicas": 4,
            "updatedReplicas": 2,
            "availableReplicas": 3,
        },
        VerifyStatus.PROGRESSING,
    ),
    (
        {
            "observedGeneration": 4,
            "replicas": 4,
            "updatedReplicas": 1,
            "availableReplicas": 3,
            "conditions": [
                {
                    "type": "Progressing",
                    "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                }
            ],
        },
        VerifyStatus.FAILED,
    ),
]


@pytest.mark.parametrize(("status", "expected"), STATUSES, ids=["healthy", "progressing", "failed"])
async def test_verify_reads_the_live_rollout_status(
    cluster: KubernetesEmulator,
    remediator: KubernetesRemediator,
    status: dict[str, object],
    expected: VerifyStatus,
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))
    result = await remediator.execute(action_request("restart_deployment"))
    cluster.objects[DEPLOYMENTS, "prod", "payments"].patch({"status": None})
    cluster.objects[DEPLOYMENTS, "prod", "payments"].patch({"status": status})

    verdict = await remediator.verify(action_request("restart_deployment"), result)

    assert verdict.status is expected
    assert "prod/payments" in verdict.summary
    assert [r.url.path for r in cluster][-1] == (
        "/apis/apps/v1/namespaces/prod/deployments/payments"
    )


async def test_verify_follows_the_deployment_the_result_names(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    moved = make_deployment()
    moved["metadata"]["name"] = "payments-v2"
    moved["status"] = {"observedGeneration": 4, "updatedReplicas": 0}
    seed_deployment(cluster, moved)
    result = ExecutionResult("scaled", {"namespace": "prod", "deployment": "payments-v2"})
    verdict = await remediator.verify(action_request("scale_deployment", _scale_params()), result)
    assert verdict.status is VerifyStatus.PROGRESSING
    assert "prod/payments-v2" in verdict.summary


async def test_diagnostics_need_no_verification(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    verdict = await remediator.verify(action_request("collect_diagnostics"), ExecutionResult("x"))
    assert verdict.status is VerifyStatus.HEALTHY
    assert len(cluster) == 0


def _scale_params() -> dict[str, str]:
    return {"replicas_delta": "1", "max_replicas": "5"}
