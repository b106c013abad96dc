"""Pure Deployment rollout logic, as `kubectl rollout status` and `kubectl rollout undo` do it."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.ports.adapters import AdapterError
from bot.ports.remediation import VerifyStatus

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
# The controller's Progressing reason once progressDeadlineSeconds has passed.
PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"
# Deployment annotations an undo keeps rather than take from the ReplicaSet (annotationsToSkip).
ANNOTATIONS_KEPT_ON_UNDO = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION_ANNOTATION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)

JsonObject = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    """Where a Deployment's rollout stands, in kubectl's words."""

    status: VerifyStatus
    summary: str


def _mapping(value: Any) -> JsonObject:
    return value if isinstance(value, Mapping) else {}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def deployment_name(deployment: JsonObject) -> str:
    """`namespace/name` of a Deployment object, for messages."""
    metadata = _mapping(deployment.get("metadata"))
    return f"{metadata.get('namespace', '?')}/{metadata.get('name', '?')}"


def spec_replicas(deployment: JsonObject) -> int:
    """Desired replicas; the API server defaults an unset count to 1."""
    replicas = _mapping(deployment.get("spec")).get("replicas")
    return _count(replicas) if replicas is not None else 1


def is_paused(deployment: JsonObject) -> bool:
    """Whether rollouts of this Deployment are paused (`spec.paused`)."""
    return _mapping(deployment.get("spec")).get("paused") is True


def rollout_status(deployment: JsonObject) -> RolloutStatus:
    """HEALTHY, PROGRESSING or FAILED, by the rules of `kubectl rollout status`."""
    name = deployment_name(deployment)
    metadata = _mapping(deployment.get("metadata"))
    status = _mapping(deployment.get("status"))
    generation = _count(metadata.get("generation"))
    observed = _count(status.get("observedGeneration"))
    if generation > observed:
        return RolloutStatus(
            VerifyStatus.PROGRESSING,
            f"waiting for deployment {name} spec update to be observed "
            f"(generation {generation}, observed {observed})",
        )
    for condition in status.get("conditions") or ():
        condition = _mapping(condition)
        if (
            condition.get("type") == "Progressing"
            and condition.get("reason") == PROGRESS_DEADLINE_EXCEEDED
        ):
            return RolloutStatus(
                VerifyStatus.FAILED, f"deployment {name} exceeded its progress deadline"
            )
    desired = spec_replicas(deployment)
    updated = _count(status.get("updatedReplicas"))
    current = _count(status.get("replicas"))
    available = _count(status.get("availableReplicas"))
    if updated < desired:
        return RolloutStatus(
            VerifyStatus.PROGRESSING,
            f"deployment {name}: {updated} out of {desired} new replicas have been updated",
        )
    if current > updated:
        return RolloutStatus(
            VerifyStatus.PROGRESSING,
            f"deployment {name}: {current - updated} old replicas are pending termination",
        )
    if available < updated:
        return RolloutStatus(
            VerifyStatus.PROGRESSING,
            f"deployment {name}: {available} of {updated} updated replicas are available",
        )
    return RolloutStatus(VerifyStatus.HEALTHY, f"deployment {name} successfully rolled out")


def revision_of(obj: JsonObject) -> int | None:
    """The `deployment.kubernetes.io/revision` of a Deployment or ReplicaSet, if readable."""
    annotations = _mapping(_mapping(obj.get("metadata")).get("annotations"))
    value = annotations.get(REVISION_ANNOTATION)
    if not isinstance(value, str) or not value.isdigit():
        return None
    return int(value)


def label_selector(deployment: JsonObject) -> str | None:
    """The Deployment's `spec.selector` in the string form list calls accept."""
    selector = _mapping(_mapping(deployment.get("spec")).get("selector"))
    terms = [f"{key}={value}" for key, value in _mapping(selector.get("matchLabels")).items()]
    for expression in selector.get("matchExpressions") or ():
        expression = _mapping(expression)
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(str(v) for v in expression.get("values") or ())
        if operator == "In":
            terms.append(f"{key} in ({values})")
        elif operator == "NotIn":
            terms.append(f"{key} notin ({values})")
        elif operator == "Exists":
            terms.append(f"{key}")
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms) or None


def owned_replica_sets(
    deployment: JsonObject, replica_sets: Sequence[JsonObject]
) -> list[JsonObject]:
    """The ReplicaSets whose controller is this Deployment (by uid when both carry one)."""
    metadata = _mapping(deployment.get("metadata"))
    name, uid = metadata.get("name"), metadata.get("uid")
    owned: list[JsonObject] = []
    for replica_set in replica_sets:
        for owner in _mapping(replica_set.get("metadata")).get("ownerReferences") or ():
            owner = _mapping(owner)
            if owner.get("kind") != "Deployment" or owner.get("controller") is False:
                continue
            if owner.get("name") != name:
                continue
            if uid and owner.get("uid") and owner.get("uid") != uid:
                continue
            owned.append(replica_set)
            break
    return owned


def pod_template(obj: JsonObject) -> JsonObject:
    """`spec.template` of a Deployment or ReplicaSet."""
    return _mapping(_mapping(obj.get("spec")).get("template"))


def template_without_hash(template: JsonObject) -> dict[str, Any]:
    """A deep copy of a pod template without the ReplicaSet's pod-template-hash label."""
    clean: dict[str, Any] = copy.deepcopy(dict(template))
    metadata = clean.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict):
        metadata["labels"].pop(POD_TEMPLATE_HASH_LABEL, None)
        if not metadata["labels"]:
            del metadata["labels"]
    return clean


def container_images(template: JsonObject) -> dict[str, str]:
    """Container name → image of a pod template."""
    spec = _mapping(template.get("spec"))
    images: dict[str, str] = {}
    for container in spec.get("containers") or ():
        container = _mapping(container)
        images[str(container.get("name", "?"))] = str(container.get("image", "?"))
    return images


def describe_image_change(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """`image a → b` for one container, `name: a → b; …` for several, or why none changed."""
    names = sorted(set(before) | set(after))
    changes = [
        (name, before.get(name, "none"), after.get(name, "none"))
        for name in names
        if before.get(name) != after.get(name)
    ]
    if not changes:
        return "same images; other pod template fields differ"
    if len(names) == 1:
        _, old, new = changes[0]
        return f"image {old} → {new}"
    return "; ".join(f"{name}: {old} → {new}" for name, old, new in changes)


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """Which ReplicaSet's pod template an undo copies into the Deployment, and what it replaces."""

    from_revision: int | None
    to_revision: int
    from_replica_set: str
    to_replica_set: str
    template: dict[str, Any]
    annotations: dict[str, str]
    from_images: dict[str, str]
    to_images: dict[str, str]
    # False when the Deployment already runs the target template (kubectl skips those).
    changed: bool


def _name(obj: JsonObject) -> str:
    return str(_mapping(obj.get("metadata")).get("name", ""))


def plan_undo(
    deployment: JsonObject,
    replica_sets: Sequence[JsonObject],
    *,
    to_revision: int | None = None,
    to_replica_set: str | None = None,
) -> UndoPlan:
    """What `kubectl rollout undo [--to-revision]` would do; refuses paused and history-less."""
    name = deployment_name(deployment)
    if is_paused(deployment):
        raise AdapterError(
            "paused",
            f"deployment {name} is paused; resume it before rolling back",
            retryable=False,
        )
    owned = [(rs, revision_of(rs)) for rs in owned_replica_sets(deployment, replica_sets)]
    by_revision = sorted(
        ((revision, rs) for rs, revision in owned if revision is not None),
        key=lambda pair: pair[0],
    )
    target: JsonObject | None = None
    if to_replica_set is not None:
        target = next((rs for rs, _ in owned if _name(rs) == to_replica_set), None)
        if target is None:
            raise AdapterError(
                "revision_not_found",
                f"deployment {name} no longer has ReplicaSet {to_replica_set}",
                retryable=False,
            )
    elif to_revision is not None:
        target = next((rs for revision, rs in by_revision if revision == to_revision), None)
        if target is None:
            known = ", ".join(str(revision) for revision, _ in by_revision) or "none"
            raise AdapterError(
                "revision_not_found",
                f"deployment {name} has no revision {to_revision} (known: {known})",
                retryable=False,
            )
    else:
        if len(by_revision) < 2:
            raise AdapterError(
                "no_previous_revision",
                f"deployment {name} has no previous revision to roll back to",
                retryable=False,
            )
        target = by_revision[-2][1]
    current_revision = revision_of(deployment)
    if current_revision is None and by_revision:
        current_revision = by_revision[-1][0]
    current = next((rs for revision, rs in by_revision if revision == current_revision), None)
    template = template_without_hash(pod_template(target))
    live_template = template_without_hash(pod_template(deployment))
    return UndoPlan(
        from_revision=current_revision,
        to_revision=revision_of(target) or 0,
        from_replica_set=_name(current) if current is not None else "",
        to_replica_set=_name(target),
        template=template,
        annotations=undo_annotations(deployment, target),
        from_images=container_images(live_template),
        to_images=container_images(template),
        changed=template != live_template,
    )


def undo_annotations(deployment: JsonObject, replica_set: JsonObject) -> dict[str, str]:
    """The Deployment's kept annotations plus every other annotation of the ReplicaSet."""
    own = _mapping(_mapping(deployment.get("metadata")).get("annotations"))
    theirs = _mapping(_mapping(replica_set.get("metadata")).get("annotations"))
    merged = {key: str(value) for key, value in own.items() if key in ANNOTATIONS_KEPT_ON_UNDO}
    merged.update(
        {key: str(value) for key, value in theirs.items() if key not in ANNOTATIONS_KEPT_ON_UNDO}
    )
    return merged


def undo_patch(
    plan: UndoPlan, *, resource_version: str | None, extra_annotations: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The JSON patch kubectl sends, with a resourceVersion precondition when one is known."""
    patch: list[dict[str, Any]] = []
    if resource_version:
        # A patched resourceVersion makes the API server answer 409 if the object moved on.
        patch.append(
            {"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version}
        )
    patch.append({"op": "replace", "path": "/spec/template", "value": plan.template})
    # "add" replaces an existing member and also works when the Deployment has no annotations.
    patch.append(
        {
            "op": "add",
            "path": "/metadata/annotations",
            "value": {**plan.annotations, **extra_annotations},
        }
    )
    return patch
