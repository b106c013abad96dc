"""`plan_undo` and friends pick and copy a ReplicaSet's template as `kubectl rollout undo` does."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError
from integrations.kubernetes.rollout import (
    describe_image_change,
    label_selector,
    owned_replica_sets,
    plan_undo,
    undo_patch,
)
from tests.kubernetes.conftest import make_deployment, make_replica_set

IMAGE = "registry.local/payments:1.{}"


def history(*revisions: int) -> list[dict[str, object]]:
    return [make_replica_set(revision, IMAGE.format(revision)) for revision in revisions]


def test_previous_is_the_second_newest_revision_whatever_the_listing_order() -> None:
    plan = plan_undo(make_deployment(image=IMAGE.format(3)), history(3, 1, 2))
    assert (plan.from_revision, plan.to_revision) == (3, 2)
    assert plan.to_replica_set == "payments-h2abc"
    assert plan.from_replica_set == "payments-h3abc"
    assert plan.to_images == {"api": IMAGE.format(2)}
    assert plan.from_images == {"api": IMAGE.format(3)}
    assert plan.changed


def test_the_copied_template_loses_only_the_pod_template_hash_label() -> None:
    plan = plan_undo(make_deployment(image=IMAGE.format(3)), history(1, 2, 3))
    assert plan.template["metadata"]["labels"] == {"app": "payments"}
    assert plan.template["metadata"]["annotations"] == {"team": "payments"}
    assert plan.template["spec"]["containers"][0]["ports"] == [{"containerPort": 8080}]


def test_explicit_revision() -> None:
    plan = plan_undo(make_deployment(image=IMAGE.format(3)), history(1, 2, 3), to_revision=1)
    assert plan.to_revision == 1
    assert plan.to_images == {"api": IMAGE.format(1)}


def test_unknown_revision_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(AdapterError) as caught:
        plan_undo(make_deployment(), history(1, 2, 3), to_revision=7)
    assert caught.value.code == "revision_not_found"
    assert not caught.value.retryable
    assert "known: 1, 2, 3" in caught.value.message


@pytest.mark.parametrize("revisions", [(), (3,)], ids=["no history", "only the current"])
def test_no_previous_revision_is_refused(revisions: tuple[int, ...]) -> None:
    with pytest.raises(AdapterError) as caught:
        plan_undo(make_deployment(), history(*revisions))
    assert caught.value.code == "no_previous_revision"
    assert not caught.value.retryable


def test_paused_deployment_is_refused() -> None:
    with pytest.raises(AdapterError) as caught:
        plan_undo(make_deployment(paused=True), history(1, 2, 3))
    assert caught.value.code == "paused"
    assert not caught.value.retryable


def test_replica_sets_of_another_controller_are_ignored() -> None:
    stranger = make_replica_set(9, "evil:latest", owner_uid="another-uid")
    plan = plan_undo(make_deployment(image=IMAGE.format(3)), [*history(2, 3), stranger])
    assert plan.to_revision == 2


def test_ownership_falls_back_to_the_name_when_no_uid_is_known() -> None:
    deployment = make_deployment()
    del deployment["metadata"]["uid"]
    owned = make_replica_set(2, "a")
    other = make_replica_set(3, "b")
    other["metadata"]["ownerReferences"][0]["name"] = "checkout"
    assert owned_replica_sets(deployment, [owned, other]) == [owned]


def test_same_template_is_no_change() -> None:
    plan = plan_undo(make_deployment(image=IMAGE.format(2)), history(1, 2, 3), to_revision=2)
    assert not plan.changed


def test_annotations_keep_the_deployments_revision_and_take_the_rest_from_the_replica_set() -> None:
    deployment = make_deployment(image=IMAGE.format(3))
    deployment["metadata"]["annotations"]["only-on-deployment"] = "dropped"
    target = make_replica_set(2, IMAGE.format(2), annotations={"change-cause": "release 1.2"})
    plan = plan_undo(deployment, [target, make_replica_set(3, IMAGE.format(3))])
    assert plan.annotations == {
        "deployment.kubernetes.io/revision": "3",
        "owner": "team-payments",
        "change-cause": "release 1.2",
    }


def test_undo_patch_replaces_template_and_annotations_with_a_precondition() -> None:
    plan = plan_undo(make_deployment(image=IMAGE.format(3)), history(2, 3))
    patch = undo_patch(plan, resource_version="812", extra_annotations={"k": "v"})
    assert patch == [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "812"},
        {"op": "replace", "path": "/spec/template", "value": plan.template},
        {"op": "add", "path": "/metadata/annotations", "value": {**plan.annotations, "k": "v"}},
    ]
    assert undo_patch(plan, resource_version=None, extra_annotations={})[0]["path"] == (
        "/spec/template"
    )


def test_label_selector_renders_labels_and_expressions() -> None:
    deployment = make_deployment()
    deployment["spec"]["selector"] = {
        "matchLabels": {"app": "payments"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "track", "operator": "NotIn", "values": ["beta"]},
            {"key": "team", "operator": "Exists"},
        ],
    }
    assert label_selector(deployment) == (
        "app=payments,tier in (web,api),!canary,track notin (beta),team"
    )


@pytest.mark.parametrize(
    ("before", "after", "text"),
    [
        ({"api": "a:1"}, {"api": "a:2"}, "image a:1 → a:2"),
        ({"api": "a:1", "proxy": "p:1"}, {"api": "a:2", "proxy": "p:1"}, "api: a:1 → a:2"),
        ({"api": "a:1"}, {"api": "a:1"}, "same images; other pod template fields differ"),
    ],
)
def test_image_change_wording(before: dict[str, str], after: dict[str, str], text: str) -> None:
    assert describe_image_change(before, after) == text
