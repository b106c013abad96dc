"""rollback_deployment against an in-memory API server with seeded ReplicaSet history."""

from __future__ import annotations

import pytest
from kmock import KubernetesEmulator

from bot.ports.adapters import AdapterError
from integrations.kubernetes.adapter import KubernetesRemediator
from integrations.kubernetes.marker import LAST_ACTION_ANNOTATION
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

UNDO = "rollback_deployment"
IMAGE = "registry.local/payments:1.{}"


def seed_history(cluster: KubernetesEmulator, *revisions: int, current: int = 3) -> None:
    seed_deployment(cluster, make_deployment(image=IMAGE.format(current), revision=current))
    seed_replica_sets(
        cluster, *(make_replica_set(revision, IMAGE.format(revision)) for revision in revisions)
    )


def live_image(cluster: KubernetesEmulator) -> str:
    image: str = stored_deployment(cluster)["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


async def test_undo_goes_back_to_the_previous_revision(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 1, 2, 3)

    result = await remediator.execute(action_request(UNDO))

    [listing] = [r for r in cluster if r.url.path.endswith("/replicasets")]
    assert listing.params == {"labelSelector": "app=payments"}
    [patch] = writes(cluster)
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    assert [op["path"] for op in patch.data] == ["/spec/template", "/metadata/annotations"]
    after = stored_deployment(cluster)
    assert live_image(cluster) == IMAGE.format(2)
    assert after["spec"]["template"]["metadata"]["labels"] == {"app": "payments"}
    assert after["spec"]["replicas"] == 3
    assert after["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert LAST_ACTION_ANNOTATION in after["metadata"]["annotations"]
    assert result.summary == (
        "rolled prod/payments back from revision 3 to revision 2 "
        f"(image {IMAGE.format(3)} → {IMAGE.format(2)})"
    )
    assert result.details["from_revision"] == "3"
    assert result.details["to_revision"] == "2"
    assert result.details["to_replica_set"] == "payments-h2abc"


async def test_undo_to_an_explicit_revision(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 1, 2, 3)
    result = await remediator.execute(action_request(UNDO, {"revision": "1"}))
    assert live_image(cluster) == IMAGE.format(1)
    assert result.details["to_revision"] == "1"


@pytest.mark.parametrize(
    ("revisions", "params", "code"),
    [
        ((1, 2, 3), {"revision": "7"}, "revision_not_found"),
        ((3,), {}, "no_previous_revision"),
        ((), {}, "no_previous_revision"),
        ((1, 2, 3), {"revision": "v2"}, "invalid_params"),
    ],
    ids=["unknown revision", "only the current one", "no history", "not a number"],
)
async def test_undo_without_a_target_is_refused(
    cluster: KubernetesEmulator,
    remediator: KubernetesRemediator,
    revisions: tuple[int, ...],
    params: dict[str, str],
    code: str,
) -> None:
    seed_history(cluster, *revisions)
    with pytest.raises(AdapterError) as caught:
        await remediator.execute(action_request(UNDO, params))
    assert caught.value.code == code
    assert not caught.value.retryable
    assert writes(cluster) == []
    assert live_image(cluster) == IMAGE.format(3)


async def test_undo_of_a_paused_deployment_is_refused(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment(paused=True))
    seed_replica_sets(cluster, make_replica_set(2, "a"), make_replica_set(3, "b"))
    with pytest.raises(AdapterError) as caught:
        await remediator.execute(action_request(UNDO))
    assert caught.value.code == "paused"
    assert writes(cluster) == []


async def test_other_deployments_replica_sets_are_not_history(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 2, 3)
    seed_replica_sets(cluster, make_replica_set(9, "evil:latest", owner_uid="someone-else"))
    other_namespace = make_replica_set(8, "evil:other")
    other_namespace["metadata"]["namespace"] = "staging"
    seed_replica_sets(cluster, other_namespace)
    await remediator.execute(action_request(UNDO))
    assert live_image(cluster) == IMAGE.format(2)


async def test_undo_to_the_running_template_changes_nothing(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 1, 2, 3)
    result = await remediator.execute(action_request(UNDO, {"revision": "3"}))
    assert result.details["changed"] == "false"
    assert "nothing changed" in result.summary
    assert writes(cluster) == []
    undone = await remediator.rollback(action_request(UNDO, {"revision": "3"}), result)
    assert "nothing to roll back" in undone.summary
    assert writes(cluster) == []


async def test_undo_rolls_back_to_the_revision_it_replaced(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 1, 2, 3)
    result = await remediator.execute(action_request(UNDO))
    assert live_image(cluster) == IMAGE.format(2)

    undone = await remediator.rollback(action_request(UNDO), result)

    assert live_image(cluster) == IMAGE.format(3)
    assert undone.details["to_replica_set"] == "payments-h3abc"
    assert len(writes(cluster)) == 2
    # Retried, the rollback recognises its own record.
    assert await remediator.rollback(action_request(UNDO), result) == undone
    assert len(writes(cluster)) == 2


async def test_undo_rollback_leaves_a_template_changed_since(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 1, 2, 3)
    result = await remediator.execute(action_request(UNDO))
    hotfix = {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "hotfix"}]}}}}
    cluster.objects[DEPLOYMENTS, "prod", "payments"].patch(hotfix)

    with pytest.raises(AdapterError) as caught:
        await remediator.rollback(action_request(UNDO), result)

    assert caught.value.code == "diverged"
    assert live_image(cluster) == "hotfix"
    assert len(writes(cluster)) == 1


async def test_a_retried_undo_does_not_flip_back(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_history(cluster, 1, 2, 3)
    first = await remediator.execute(action_request(UNDO))
    # What the controller does next: the reused ReplicaSet becomes the newest revision.
    cluster.objects[DEPLOYMENTS, "prod", "payments"].patch(
        {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "4"}}}
    )
    again = await remediator.execute(action_request(UNDO))
    assert again == first
    assert live_image(cluster) == IMAGE.format(2)
    assert len(writes(cluster)) == 1
