"""`KubernetesRemediator`: restart, undo, scale and inspect one Deployment per incident."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.remediation import (
    ActionPlan,
    ActionRequest,
    ExecutionResult,
    VerificationResult,
    VerifyStatus,
)
from integrations.kubernetes.changes import (
    Change,
    restart_change,
    restart_undo_revision,
    scale_back_change,
    scale_change,
    undo_back_target,
    undo_change,
)
from integrations.kubernetes.client import ADAPTER_NAME, KubernetesClient, build_api_client
from integrations.kubernetes.config import KubernetesConfig
from integrations.kubernetes.diagnostics import LOG_PREFIX, diagnostics_details, events_summary
from integrations.kubernetes.marker import marker_annotations, recorded_result
from integrations.kubernetes.owners import PodOwners
from integrations.kubernetes.pods import (
    ContainerState,
    container_states,
    log_tail,
    restarts_summary,
)
from integrations.kubernetes.rollout import (
    label_selector,
    owned_replica_sets,
    plan_undo,
    revision_of,
    rollout_status,
    spec_replicas,
)
from integrations.kubernetes.targets import DeploymentRef, checked_ref, request_target
from integrations.kubernetes.validation import int_param, revision_param, validate_request

logger = logging.getLogger(__name__)

RESTART = "restart_deployment"
UNDO = "rollback_deployment"
SCALE = "scale_deployment"
DIAGNOSTICS = "collect_diagnostics"
ACTIONS = frozenset({RESTART, UNDO, SCALE, DIAGNOSTICS})

JsonObject = Mapping[str, Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KubernetesRemediator:
    """Runs the catalog's Deployment actions, each planned from the live object it changes."""

    name = ADAPTER_NAME
    actions = ACTIONS

    def __init__(
        self,
        client: KubernetesClient,
        config: KubernetesConfig,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self._config = config
        self._clock = clock
        self._owners = PodOwners(client)

    async def close(self) -> None:
        await self._client.close()

    async def probe(self) -> None:
        try:
            # Discovery needs an authenticated caller, unlike /version.
            await self._client.api_resources("apps/v1")
        except AdapterError as exc:
            reason = exc.message
        else:
            return
        raise NotReady(self.name, reason)

    async def owner_of(self, namespace: str, pod: str) -> tuple[str, str] | None:
        """The workload owning a pod, by its ownerReferences (see OwnerLookup)."""
        return await self._owners.owner_of(namespace, pod)

    async def describe(self, request: ActionRequest) -> ActionPlan:
        validate_request(request, self.name, self.actions)
        ref = request_target(self._config, request)
        deployment = await self._client.get_deployment(ref)
        if request.action == DIAGNOSTICS:
            return ActionPlan(
                adapter=self.name,
                summary=(
                    f"read deployment {ref} ({spec_replicas(deployment)} replicas): status, "
                    "conditions, ReplicaSets and recent events; changes nothing"
                ),
                details={"namespace": ref.namespace, "deployment": ref.name},
            )
        change = await self._plan(request, ref, deployment)
        return ActionPlan(adapter=self.name, summary=change.plan, details=change.details)

    async def execute(self, request: ActionRequest) -> ExecutionResult:
        validate_request(request, self.name, self.actions)
        ref = request_target(self._config, request)
        deployment = await self._client.get_deployment(ref)
        if request.action == DIAGNOSTICS:
            return await self._collect(ref, deployment)
        key = request.idempotency_key
        recorded = self._already_applied(request, ref, deployment, key)
        if recorded is not None:
            return recorded
        change = await self._plan(request, ref, deployment)
        return await self._apply(request, ref, change, key)

    async def verify(self, request: ActionRequest, result: ExecutionResult) -> VerificationResult:
        validate_request(request, self.name, self.actions)
        if request.action == DIAGNOSTICS:
            return VerificationResult(
                VerifyStatus.HEALTHY, "collect_diagnostics changes nothing; nothing to verify"
            )
        ref = self._result_target(request, result)
        status = rollout_status(await self._client.get_deployment(ref))
        return VerificationResult(status.status, status.summary)

    async def rollback(self, request: ActionRequest, result: ExecutionResult) -> ExecutionResult:
        validate_request(request, self.name, self.actions)
        if request.action == DIAGNOSTICS:
            return ExecutionResult("collect_diagnostics changed nothing; nothing to roll back")
        if result.details.get("changed") == "false":
            return ExecutionResult(f"{result.summary}; nothing to roll back")
        ref = self._result_target(request, result)
        key = f"{request.idempotency_key}:rollback"
        deployment = await self._client.get_deployment(ref)
        recorded = self._already_applied(request, ref, deployment, key)
        if recorded is not None:
            return recorded
        if request.action == SCALE:
            change = scale_back_change(ref, deployment, result)
        elif request.action == RESTART:
            # `kubectl rollout undo` after a restart: the ReplicaSet it replaced comes back
            # (its pods start afresh; the ones the restart stopped are gone).
            replica_sets = await self._replica_sets(ref, deployment)
            revision = restart_undo_revision(ref, deployment, result)
            plan = plan_undo(deployment, replica_sets, to_revision=revision)
            change = undo_change(ref, deployment, plan)
        else:
            replica_sets = await self._replica_sets(ref, deployment)
            back_to = undo_back_target(ref, deployment, replica_sets, result)
            plan = plan_undo(deployment, replica_sets, to_replica_set=back_to)
            change = undo_change(ref, deployment, plan)
        return await self._apply(request, ref, change, key)

    async def _plan(
        self, request: ActionRequest, ref: DeploymentRef, deployment: JsonObject
    ) -> Change:
        if request.action == RESTART:
            return restart_change(ref, deployment, self._clock())
        if request.action == SCALE:
            return scale_change(
                ref,
                deployment,
                delta=int_param(request, "replicas_delta"),
                request_max=int_param(request, "max_replicas"),
                config=self._config,
            )
        to_revision = revision_param(request)
        replica_sets = await self._replica_sets(ref, deployment)
        return undo_change(
            ref, deployment, plan_undo(deployment, replica_sets, to_revision=to_revision)
        )

    @staticmethod
    def _already_applied(
        request: ActionRequest, ref: DeploymentRef, deployment: JsonObject, key: str
    ) -> ExecutionResult | None:
        recorded = recorded_result(deployment, key, request.action)
        if recorded is not None:
            # A retry after a success the caller never heard about.
            logger.info("kubernetes %s on %s was already applied", request.action, ref)
        return recorded

    async def _apply(
        self, request: ActionRequest, ref: DeploymentRef, change: Change, key: str
    ) -> ExecutionResult:
        result = ExecutionResult(summary=change.done, details=change.details)
        if not change.changed:
            return result
        patch = change.build_patch(marker_annotations(key, request.action, result))
        await self._client.patch_deployment(ref, patch, change.patch_type)
        logger.info(
            "kubernetes %s on %s for incident %s: %s",
            request.action,
            ref,
            request.incident_id,
            change.done,
        )
        return result

    async def _replica_sets(self, ref: DeploymentRef, deployment: JsonObject) -> list[JsonObject]:
        listed = await self._client.list_replica_sets(ref.namespace, label_selector(deployment))
        return owned_replica_sets(deployment, listed)

    async def _collect(self, ref: DeploymentRef, deployment: JsonObject) -> ExecutionResult:
        problems: list[str] = []
        replica_sets: list[JsonObject] = []
        try:
            replica_sets = await self._replica_sets(ref, deployment)
        except AdapterError as exc:
            problems.append(f"ReplicaSets unavailable ({exc.code})")
        events = await self._events(ref, replica_sets, problems)
        details = diagnostics_details(
            ref,
            deployment,
            replica_sets,
            events,
            event_limit=self._config.diagnostics_event_limit,
        )
        states = await self._pod_states(ref, deployment, problems)
        details["restarts"] = restarts_summary(states)
        details["restart_count"] = str(sum(state.restarts for state in states))
        crashed = [state for state in states if state.crashed]
        if crashed:
            last = crashed[0]
            details["last_termination"] = f"{last.reason or 'unknown'}" + (
                f", exit code {last.exit_code}" if last.exit_code is not None else ""
            )
            pod_events = await self._events_of(ref, "Pod", last.pod, problems)
            details["pod_events"] = events_summary(
                pod_events, self._config.diagnostics_event_limit
            )[0]
        for state in crashed[: self._config.diagnostics_log_containers]:
            try:
                text = await self._client.previous_log(
                    ref.namespace,
                    state.pod,
                    state.container,
                    tail_lines=self._config.diagnostics_log_lines,
                    limit_bytes=self._config.diagnostics_log_bytes,
                )
            except AdapterError as exc:
                problems.append(f"previous log of {state.pod}/{state.container} ({exc.code})")
                continue
            details[f"{LOG_PREFIX}{state.pod}/{state.container}"] = log_tail(
                text, self._config.diagnostics_log_bytes
            )
        if problems:
            details["problems"] = "; ".join(problems)
        status = rollout_status(deployment)
        summary = (
            f"collected diagnostics for deployment {ref}: {status.summary}; "
            f"{len(replica_sets)} ReplicaSets, {len(events)} events "
            f"({details['warning_events']} warnings); "
            f"{details['restart_count']} container restarts"
            + (f", last terminated {details['last_termination']}" if crashed else "")
        )
        return ExecutionResult(summary=summary, details=details)

    async def _events(
        self, ref: DeploymentRef, replica_sets: list[JsonObject], problems: list[str]
    ) -> list[JsonObject]:
        """Events of the Deployment and of its newest ReplicaSet, where pod creation fails."""
        if not self._config.diagnostics_event_limit:
            return []
        subjects = [("Deployment", ref.name)]
        newest = max(replica_sets, key=lambda rs: revision_of(rs) or 0, default=None)
        if newest is not None:
            subjects.append(("ReplicaSet", str(newest.get("metadata", {}).get("name", ""))))
        events: list[JsonObject] = []
        for kind, name in subjects:
            selector = f"involvedObject.kind={kind},involvedObject.name={name}"
            try:
                listed = await self._client.list_events(ref.namespace, selector)
            except AdapterError as exc:
                problems.append(f"{kind} events unavailable ({exc.code})")
                continue
            # Filtered here as well: a field selector is a request, not a guarantee.
            events.extend(event for event in listed if _involves(event, kind, name))
        return events

    async def _pod_states(
        self, ref: DeploymentRef, deployment: JsonObject, problems: list[str]
    ) -> list[ContainerState]:
        selector = label_selector(deployment)
        try:
            pods = await self._client.list_pods(ref.namespace, selector)
        except AdapterError as exc:
            problems.append(f"pods unavailable ({exc.code})")
            return []
        # Filtered here too: a selector is a request, and only the workload's pods count.
        wanted = _selector_labels(deployment)
        return container_states(
            [p for p in pods if wanted.items() <= _labels(p).items()] if wanted else pods
        )

    async def _events_of(
        self, ref: DeploymentRef, kind: str, name: str, problems: list[str]
    ) -> list[JsonObject]:
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        try:
            listed = await self._client.list_events(ref.namespace, selector)
        except AdapterError as exc:
            problems.append(f"{kind} events unavailable ({exc.code})")
            return []
        return [event for event in listed if _involves(event, kind, name)]

    def _result_target(self, request: ActionRequest, result: ExecutionResult) -> DeploymentRef:
        namespace = result.details.get("namespace")
        name = result.details.get("deployment")
        if namespace and name:
            return checked_ref(namespace, name)
        return request_target(self._config, request)


def _labels(obj: JsonObject) -> dict[str, str]:
    metadata = obj.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _selector_labels(deployment: JsonObject) -> dict[str, str]:
    spec = deployment.get("spec")
    selector = spec.get("selector") if isinstance(spec, Mapping) else None
    labels = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _involves(event: JsonObject, kind: str, name: str) -> bool:
    subject = event.get("involvedObject")
    return (
        isinstance(subject, Mapping) and subject.get("kind") == kind and subject.get("name") == name
    )


async def setup(config: KubernetesConfig) -> KubernetesRemediator:
    """A KubernetesRemediator for `config`; call `probe()` before relying on it."""
    api = await build_api_client(config)
    client = KubernetesClient(api, timeout_seconds=config.request_timeout_seconds)
    return KubernetesRemediator(client, config)
