"""scale_deployment against an in-memory API server: bounded steps, and back again."""

from __future__ import annotations

import pytest
from kmock import KubernetesEmulator

from bot.ports.adapters import AdapterError
from integrations.kubernetes.adapter import KubernetesRemediator, setup
from integrations.kubernetes.marker import LAST_ACTION_ANNOTATION
from tests.kubernetes.conftest import (
    DEPLOYMENTS,
    action_request,
    config_for,
    make_deployment,
    seed_deployment,
    stored_deployment,
    writes,
)

SCALE = "scale_deployment"


def scale(delta: int, max_replicas: int, key: str = "inc-42:action-1"):
    return action_request(
        SCALE, {"replicas_delta": str(delta), "max_replicas": str(max_replicas)}, key=key
    )


async def test_scale_within_bounds(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))

    result = await remediator.execute(scale(2, 6))

    [patch] = writes(cluster)
    assert patch.url.path == "/apis/apps/v1/namespaces/prod/deployments/payments"
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert patch.data["spec"] == {"replicas": 5}
    assert set(patch.data["metadata"]) == {"annotations"}
    assert set(patch.data["metadata"]["annotations"]) == {LAST_ACTION_ANNOTATION}
    assert stored_deployment(cluster)["spec"]["replicas"] == 5
    assert result.summary == "scaled prod/payments from 3 to 5 replicas (ceiling 6)"
    assert result.details["previous_replicas"] == "3"
    assert result.details["replicas"] == "5"


async def test_scale_patch_is_conditional_on_the_read_resource_version(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3, resource_version="4711"))
    await remediator.execute(scale(1, 6))
    [patch] = writes(cluster)
    assert patch.data["metadata"]["resourceVersion"] == "4711"


@pytest.mark.parametrize(
    ("current", "delta", "max_replicas", "ceiling", "bound"),
    [
        (3, 4, 6, 20, "the request's max_replicas 6"),
        (3, 3, 10, 5, "the configured ceiling 5"),
        (3, 4, 10, 20, "2 times the current 3 replicas (6)"),
    ],
    ids=["request max_replicas", "config ceiling", "scale factor"],
)
async def test_scale_beyond_a_bound_is_refused_without_writing(
    cluster: KubernetesEmulator,
    current: int,
    delta: int,
    max_replicas: int,
    ceiling: int,
    bound: str,
) -> None:
    seed_deployment(cluster, make_deployment(replicas=current))
    remediator = await setup(config_for(cluster, max_replicas_ceiling=ceiling))
    try:
        for call in (remediator.describe, remediator.execute):
            with pytest.raises(AdapterError) as caught:
                await call(scale(delta, max_replicas))
            assert caught.value.code == "out_of_bounds"
            assert not caught.value.retryable
            assert bound in caught.value.message
    finally:
        await remediator.close()
    assert writes(cluster) == []
    assert stored_deployment(cluster)["spec"]["replicas"] == current


async def test_scale_rolls_back_to_the_previous_count(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))
    result = await remediator.execute(scale(2, 6))

    undone = await remediator.rollback(scale(2, 6), result)

    assert stored_deployment(cluster)["spec"]["replicas"] == 3
    assert undone.summary == "scaled prod/payments back from 5 to 3 replicas"
    assert [w.data["spec"] for w in writes(cluster)] == [{"replicas": 5}, {"replicas": 3}]
    # Retried, the rollback finds its own record and writes nothing more.
    assert await remediator.rollback(scale(2, 6), result) == undone
    assert len(writes(cluster)) == 2


async def test_scale_rollback_leaves_a_deployment_someone_else_rescaled(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))
    result = await remediator.execute(scale(2, 6))
    cluster.objects[DEPLOYMENTS, "prod", "payments"].patch({"spec": {"replicas": 8}})

    with pytest.raises(AdapterError) as caught:
        await remediator.rollback(scale(2, 6), result)

    assert caught.value.code == "diverged"
    assert not caught.value.retryable
    assert "now has 8 replicas, not the 5" in caught.value.message
    assert len(writes(cluster)) == 1


async def test_a_retried_scale_adds_the_replicas_once(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))
    first = await remediator.execute(scale(2, 6))
    again = await remediator.execute(scale(2, 6))
    assert again == first
    assert stored_deployment(cluster)["spec"]["replicas"] == 5
    assert len(writes(cluster)) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"replicas_delta": "2"},
        {"replicas_delta": "0", "max_replicas": "6"},
        {"replicas_delta": "two", "max_replicas": "6"},
        {"replicas_delta": "2", "max_replicas": "6", "namespace": "kube-system"},
    ],
    ids=["missing max_replicas", "zero step", "not a number", "unknown parameter"],
)
async def test_invalid_parameters_are_refused_before_any_call(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator, params: dict[str, str]
) -> None:
    seed_deployment(cluster, make_deployment(replicas=3))
    with pytest.raises(AdapterError) as caught:
        await remediator.execute(action_request(SCALE, params))
    assert caught.value.code == "invalid_params"
    assert not caught.value.retryable
    assert len(cluster) == 0
