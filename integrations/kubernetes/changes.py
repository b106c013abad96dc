"""Pure builders of the writes the adapter makes: each from the live Deployment it was read as."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.ports.adapters import AdapterError
from bot.ports.remediation import ExecutionResult
from integrations.kubernetes.client import PatchType
from integrations.kubernetes.config import KubernetesConfig
from integrations.kubernetes.rollout import (
    RESTARTED_AT_ANNOTATION,
    UndoPlan,
    describe_image_change,
    is_paused,
    pod_template,
    revision_of,
    spec_replicas,
    template_without_hash,
    undo_patch,
)
from integrations.kubernetes.scaling import plan_scale
from integrations.kubernetes.targets import DeploymentRef

JsonObject = Mapping[str, Any]
# Builds the patch body around the annotations that record the change on the Deployment.
PatchBuilder = Callable[[Mapping[str, str]], Any]


@dataclass(frozen=True, slots=True)
class Change:
    """One write: what it would do, what it did, what verify and rollback need, and the patch."""

    plan: str
    done: str
    details: dict[str, str]
    patch_type: PatchType
    build_patch: PatchBuilder
    # False when the live object already is what the change would make it.
    changed: bool = True


def _metadata(obj: JsonObject) -> JsonObject:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _resource_version(deployment: JsonObject) -> str | None:
    version = _metadata(deployment).get("resourceVersion")
    return version if isinstance(version, str) and version else None


def _strategy(deployment: JsonObject) -> str:
    spec = deployment.get("spec")
    strategy = spec.get("strategy") if isinstance(spec, Mapping) else None
    kind = strategy.get("type") if isinstance(strategy, Mapping) else None
    return "recreate" if kind == "Recreate" else "rolling update"


def _target(ref: DeploymentRef) -> dict[str, str]:
    return {"namespace": ref.namespace, "deployment": ref.name}


def _stored_int(result: ExecutionResult, key: str) -> int:
    value = result.details.get(key, "")
    if not value.isdigit():
        raise AdapterError(
            "not_reversible", f"the result does not record {key}; cannot roll back", retryable=False
        )
    return int(value)


def restart_change(ref: DeploymentRef, deployment: JsonObject, now: datetime) -> Change:
    """`kubectl rollout restart`: a new restartedAt on the pod template; refused when paused."""
    if is_paused(deployment):
        raise AdapterError(
            "paused", f"deployment {ref} is paused; resume it before restarting", retryable=False
        )
    replicas = spec_replicas(deployment)
    shape = f"{replicas} replicas, {_strategy(deployment)}"
    # RFC 3339, as kubectl writes it; the pods roll because their template changed.
    restarted_at = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def build(marker: Mapping[str, str]) -> dict[str, Any]:
        template_annotations = {RESTARTED_AT_ANNOTATION: restarted_at}
        return {
            "metadata": {"annotations": dict(marker)},
            "spec": {"template": {"metadata": {"annotations": template_annotations}}},
        }

    return Change(
        plan=f"restart deployment {ref} ({shape}) by setting restartedAt",
        done=f"restarted deployment {ref} ({shape}): restartedAt {restarted_at}",
        details={
            **_target(ref),
            "replicas": str(replicas),
            "restarted_at": restarted_at,
            # The revision the restart rolled away from: what undoing it goes back to.
            "from_revision": str(revision_of(deployment) or ""),
        },
        patch_type=PatchType.STRATEGIC,
        build_patch=build,
    )


def _replicas_patch(deployment: JsonObject, replicas: int) -> PatchBuilder:
    version = _resource_version(deployment)

    def build(marker: Mapping[str, str]) -> dict[str, Any]:
        metadata: dict[str, Any] = {"annotations": dict(marker)}
        if version:
            # A resourceVersion in the patch makes it conditional: 409 if scaled meanwhile.
            metadata["resourceVersion"] = version
        return {"metadata": metadata, "spec": {"replicas": replicas}}

    return build


def scale_change(
    ref: DeploymentRef,
    deployment: JsonObject,
    *,
    delta: int,
    request_max: int,
    config: KubernetesConfig,
) -> Change:
    """`current + delta` replicas, refused beyond any bound."""
    current = spec_replicas(deployment)
    plan = plan_scale(
        what=f"deployment {ref}",
        current=current,
        delta=delta,
        request_max=request_max,
        config_ceiling=config.max_replicas_ceiling,
        max_factor=config.max_scale_factor,
    )
    words = f"{ref} from {current} to {plan.target} replicas (ceiling {plan.ceiling})"
    return Change(
        plan=f"scale {words}",
        done=f"scaled {words}",
        details={
            **_target(ref),
            "previous_replicas": str(current),
            "replicas": str(plan.target),
            "ceiling": str(plan.ceiling),
        },
        patch_type=PatchType.MERGE,
        build_patch=_replicas_patch(deployment, plan.target),
    )


def scale_back_change(
    ref: DeploymentRef, deployment: JsonObject, result: ExecutionResult
) -> Change:
    """Back to the replica count a scale replaced, unless someone rescaled since."""
    previous = _stored_int(result, "previous_replicas")
    scaled_to = _stored_int(result, "replicas")
    current = spec_replicas(deployment)
    if current == previous and current != scaled_to:
        return Change(
            plan=f"leave {ref} at {current} replicas",
            done=f"{ref} is already back at {current} replicas; nothing changed",
            details=dict(result.details),
            patch_type=PatchType.MERGE,
            build_patch=_replicas_patch(deployment, current),
            changed=False,
        )
    if current != scaled_to:
        raise AdapterError(
            "diverged",
            f"deployment {ref} now has {current} replicas, not the {scaled_to} this action "
            "set; someone else scaled it since, so it is left alone",
            retryable=False,
        )
    words = f"{ref} back from {current} to {previous} replicas"
    return Change(
        plan=f"scale {words}",
        done=f"scaled {words}",
        details={**_target(ref), "previous_replicas": str(current), "replicas": str(previous)},
        patch_type=PatchType.MERGE,
        build_patch=_replicas_patch(deployment, previous),
    )


def _images_text(images: Mapping[str, str]) -> str:
    return ",".join(f"{name}={image}" for name, image in sorted(images.items()))


def undo_change(ref: DeploymentRef, deployment: JsonObject, plan: UndoPlan) -> Change:
    """`kubectl rollout undo` as planned; no write when the template already matches."""
    details = {
        **_target(ref),
        "from_revision": str(plan.from_revision) if plan.from_revision is not None else "",
        "to_revision": str(plan.to_revision),
        "from_replica_set": plan.from_replica_set,
        "to_replica_set": plan.to_replica_set,
        "from_images": _images_text(plan.from_images),
        "to_images": _images_text(plan.to_images),
        "changed": "true" if plan.changed else "false",
    }
    version = _resource_version(deployment)

    def build(marker: Mapping[str, str]) -> list[dict[str, Any]]:
        return undo_patch(plan, resource_version=version, extra_annotations=marker)

    if not plan.changed:
        same = f"{ref} already runs the pod template of revision {plan.to_revision}"
        return Change(
            plan=f"leave {same}; nothing would change",
            done=f"{same}; nothing changed",
            details=details,
            patch_type=PatchType.JSON,
            build_patch=build,
            changed=False,
        )
    source = (
        f"revision {plan.from_revision}"
        if plan.from_revision is not None
        else "the current revision"
    )
    words = (
        f"{ref} back from {source} to revision {plan.to_revision} "
        f"({describe_image_change(plan.from_images, plan.to_images)})"
    )
    return Change(
        plan=f"roll {words}",
        done=f"rolled {words}",
        details=details,
        patch_type=PatchType.JSON,
        build_patch=build,
    )


def undo_back_target(
    ref: DeploymentRef,
    deployment: JsonObject,
    replica_sets: Sequence[JsonObject],
    result: ExecutionResult,
) -> str:
    """The ReplicaSet an undo replaced, if the Deployment still runs what the undo applied.

    By name, not revision number: the controller renumbers a ReplicaSet it reuses.
    """
    from_replica_set = result.details.get("from_replica_set", "")
    to_replica_set = result.details.get("to_replica_set", "")
    if not from_replica_set or not to_replica_set:
        raise AdapterError(
            "not_reversible",
            f"the revision deployment {ref} ran before is unknown",
            retryable=False,
        )
    applied = next((rs for rs in replica_sets if _metadata(rs).get("name") == to_replica_set), None)
    live = template_without_hash(pod_template(deployment))
    if applied is None or template_without_hash(pod_template(applied)) != live:
        raise AdapterError(
            "diverged",
            f"deployment {ref} no longer runs the pod template this action applied; "
            "it changed since, so it is left alone",
            retryable=False,
        )
    return from_replica_set


def restart_undo_revision(
    ref: DeploymentRef, deployment: JsonObject, result: ExecutionResult
) -> int:
    """The revision a restart replaced, while the live template is still the restart's own."""
    revision = _stored_int(result, "from_revision")
    annotations = _metadata(pod_template(deployment)).get("annotations")
    live = annotations.get(RESTARTED_AT_ANNOTATION) if isinstance(annotations, Mapping) else None
    if live != result.details.get("restarted_at"):
        raise AdapterError(
            "diverged",
            f"deployment {ref} was restarted or changed again since; it is left alone",
            retryable=False,
        )
    return revision
