"""restart_deployment against an in-memory API server: the restartedAt annotation, and only it."""

from __future__ import annotations

import copy
import json

import pytest
from kmock import KubernetesEmulator

from bot.ports.adapters import AdapterError
from integrations.kubernetes.adapter import KubernetesRemediator
from integrations.kubernetes.marker import LAST_ACTION_ANNOTATION
from tests.kubernetes.conftest import (
    TOKEN,
    action_request,
    controller_step,
    make_deployment,
    make_replica_set,
    seed_deployment,
    seed_replica_sets,
    stored_deployment,
    writes,
)

RESTART = "restart_deployment"
IMAGE = "registry.local/payments:1.{}"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


async def test_restart_sets_only_the_restarted_at_annotation(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    before = make_deployment()
    seed_deployment(cluster, before)

    result = await remediator.execute(action_request(RESTART))

    [patch] = writes(cluster)
    assert patch.method.value == "PATCH"
    assert patch.url.path == "/apis/apps/v1/namespaces/prod/deployments/payments"
    assert patch.headers["Content-Type"] == "application/strategic-merge-patch+json"
    assert patch.headers["Authorization"] == f"Bearer {TOKEN}"
    template_patch = patch.data["spec"]
    assert template_patch == {
        "template": {
            "metadata": {
                "annotations": {"kubectl.kubernetes.io/restartedAt": "2025-03-14T09:26:53Z"}
            }
        }
    }

    after = stored_deployment(cluster)
    expected_template = copy.deepcopy(before["spec"]["template"])
    expected_template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = (
        "2025-03-14T09:26:53Z"
    )
    assert after["spec"] == {**before["spec"], "template": expected_template}
    assert after["status"] == before["status"]
    # Besides the pod template, only the record of this action is added.
    added = set(after["metadata"]["annotations"]) - set(before["metadata"]["annotations"])
    assert added == {LAST_ACTION_ANNOTATION}
    assert json.loads(after["metadata"]["annotations"][LAST_ACTION_ANNOTATION])["key"] == (
        "inc-42:action-1"
    )

    assert result.summary == (
        "restarted deployment prod/payments (3 replicas, rolling update): "
        "restartedAt 2025-03-14T09:26:53Z"
    )
    assert result.details["restarted_at"] == "2025-03-14T09:26:53Z"
    assert (result.details["namespace"], result.details["deployment"]) == ("prod", "payments")


async def test_paused_deployment_is_refused_without_writing(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(paused=True))
    for call in (remediator.describe, remediator.execute):
        with pytest.raises(AdapterError) as caught:
            await call(action_request(RESTART))
        assert caught.value.code == "paused"
        assert not caught.value.retryable
        assert "prod/payments is paused" in caught.value.message
    assert writes(cluster) == []


async def test_a_retried_restart_does_not_restart_again(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment())
    first = await remediator.execute(action_request(RESTART))
    again = await remediator.execute(action_request(RESTART))
    assert again == first
    assert len(writes(cluster)) == 1
    # A different action key is a new restart.
    await remediator.execute(action_request(RESTART, key="inc-42:action-2"))
    assert len(writes(cluster)) == 2


async def test_a_restart_is_undone_back_to_the_revision_it_replaced(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(revision=3))
    seed_replica_sets(cluster, *(make_replica_set(r, IMAGE.format(r)) for r in (2, 3)))
    template_before = copy.deepcopy(stored_deployment(cluster)["spec"]["template"])
    result = await remediator.execute(action_request(RESTART))
    assert result.details["from_revision"] == "3"
    assert controller_step(cluster) == "payments-r4"  # the restart's new ReplicaSet

    undone = await remediator.rollback(action_request(RESTART), result)

    assert undone.details["to_revision"] == "3"
    assert stored_deployment(cluster)["spec"]["template"] == template_before
    # The ReplicaSet the restart replaced is the live one again.
    assert controller_step(cluster) == "payments-h3abc"
    # A retry of the same undo finds it done and writes nothing more.
    count = len(writes(cluster))
    assert await remediator.rollback(action_request(RESTART), result) == undone
    assert len(writes(cluster)) == count


async def test_a_restart_restarted_again_since_is_not_undone(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(revision=3))
    seed_replica_sets(cluster, *(make_replica_set(r, IMAGE.format(r)) for r in (2, 3)))
    first = await remediator.execute(action_request(RESTART))
    controller_step(cluster)
    stored = copy.deepcopy(stored_deployment(cluster))
    stored["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] = "2030-01-01T00:00:00Z"
    seed_deployment(cluster, stored)
    writes_before = len(writes(cluster))
    with pytest.raises(AdapterError) as caught:
        await remediator.rollback(action_request(RESTART), first)
    assert (caught.value.code, caught.value.retryable) == ("diverged", False)
    assert len(writes(cluster)) == writes_before


async def test_recreate_strategy_is_described_as_such(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    deployment = make_deployment(replicas=2)
    deployment["spec"]["strategy"] = {"type": "Recreate"}
    seed_deployment(cluster, deployment)
    plan = await remediator.describe(action_request(RESTART))
    assert plan.summary == (
        "restart deployment prod/payments (2 replicas, recreate) by setting restartedAt"
    )
    assert plan.adapter == "kubernetes"
