"""Short, bounded summaries of a Deployment, its ReplicaSets and events for an incident."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from integrations.kubernetes.rollout import (
    container_images,
    revision_of,
    rollout_status,
    spec_replicas,
)
from integrations.kubernetes.targets import DeploymentRef

JsonObject = Mapping[str, Any]

MAX_VALUE_CHARS = 1200
MAX_EVENTS_CHARS = 2000
MAX_EVENT_MESSAGE_CHARS = 120
MAX_REPLICA_SETS = 5
# Details keys of previous container logs: "log:<pod>/<container>".
LOG_PREFIX = "log:"


def _mapping(value: Any) -> JsonObject:
    return value if isinstance(value, Mapping) else {}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(status: JsonObject, key: str) -> int:
    value = status.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def conditions_summary(deployment: JsonObject) -> str:
    """`Type=Status (Reason)` for each condition."""
    parts = []
    for condition in _mapping(deployment.get("status")).get("conditions") or ():
        condition = _mapping(condition)
        reason = f" ({condition['reason']})" if condition.get("reason") else ""
        parts.append(f"{condition.get('type', '?')}={condition.get('status', '?')}{reason}")
    return "; ".join(parts) or "none reported"


def replica_sets_summary(replica_sets: Sequence[JsonObject]) -> str:
    """The newest ReplicaSets by revision: name, revision, ready/desired and images."""
    ranked = sorted(replica_sets, key=lambda rs: revision_of(rs) or 0, reverse=True)
    parts = []
    for replica_set in ranked[:MAX_REPLICA_SETS]:
        name = _mapping(replica_set.get("metadata")).get("name", "?")
        status = _mapping(replica_set.get("status"))
        desired = _mapping(replica_set.get("spec")).get("replicas", 0)
        template = _mapping(_mapping(replica_set.get("spec")).get("template"))
        images = ",".join(container_images(template).values()) or "?"
        parts.append(
            f"{name} rev {revision_of(replica_set) or '?'} "
            f"{_count(status, 'readyReplicas')}/{desired} ready ({images})"
        )
    if len(ranked) > MAX_REPLICA_SETS:
        parts.append(f"+{len(ranked) - MAX_REPLICA_SETS} older")
    return "; ".join(parts) or "none found"


def _event_time(event: JsonObject) -> str:
    for key in ("lastTimestamp", "eventTime", "firstTimestamp"):
        value = event.get(key)
        if isinstance(value, str) and value:
            return value
    return str(_mapping(event.get("metadata")).get("creationTimestamp") or "")


def events_summary(events: Sequence[JsonObject], limit: int) -> tuple[str, int]:
    """The newest events, one clipped line each, and how many were warnings."""
    ranked = sorted(events, key=_event_time, reverse=True)
    warnings = sum(1 for event in events if event.get("type") == "Warning")
    lines: list[str] = []
    size = 0
    for event in ranked[:limit]:
        count = event.get("count")
        times = f" x{count}" if isinstance(count, int) and count > 1 else ""
        message = _clip(str(event.get("message") or ""), MAX_EVENT_MESSAGE_CHARS)
        line = _clip(
            f"{_event_time(event) or '?'} {event.get('type', '?')} "
            f"{event.get('reason', '?')}{times}: {message}",
            MAX_EVENT_MESSAGE_CHARS + 80,
        )
        size += len(line) + 3
        if size > MAX_EVENTS_CHARS:
            break
        lines.append(line)
    if len(lines) < len(ranked):
        lines.append(f"+{len(ranked) - len(lines)} older")
    return " | ".join(lines) or "none found", warnings


def diagnostics_details(
    ref: DeploymentRef,
    deployment: JsonObject,
    replica_sets: Sequence[JsonObject],
    events: Sequence[JsonObject],
    *,
    event_limit: int,
) -> dict[str, str]:
    """Pointers and short summaries, every value clipped so the whole stays small."""
    status = _mapping(deployment.get("status"))
    events_text, warnings = events_summary(events, event_limit)
    details = {
        "namespace": ref.namespace,
        "deployment": ref.name,
        "replicas": (
            f"desired {spec_replicas(deployment)}, updated {_count(status, 'updatedReplicas')}, "
            f"ready {_count(status, 'readyReplicas')}, "
            f"available {_count(status, 'availableReplicas')}, "
            f"unavailable {_count(status, 'unavailableReplicas')}"
        ),
        "revision": str(revision_of(deployment) or "unknown"),
        "rollout": rollout_status(deployment).summary,
        "conditions": conditions_summary(deployment),
        "replica_sets": replica_sets_summary(replica_sets),
        "events": events_text,
        "warning_events": str(warnings),
        "describe_command": f"kubectl -n {ref.namespace} describe deployment {ref.name}",
        "logs_command": (
            f"kubectl -n {ref.namespace} logs deployment/{ref.name} --all-containers --since=1h"
        ),
        "pod_events_command": (
            f"kubectl -n {ref.namespace} get events --field-selector involvedObject.kind=Pod"
            " --sort-by=.lastTimestamp"
        ),
    }
    return {
        key: _clip(value, MAX_EVENTS_CHARS if key == "events" else MAX_VALUE_CHARS)
        for key, value in details.items()
    }
