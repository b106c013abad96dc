"""collect_diagnostics reads the Deployment, its ReplicaSets and events; bounded, read-only."""

from __future__ import annotations

from typing import Any

import pytest
from kmock import KubernetesEmulator, KubernetesError

from integrations.kubernetes.adapter import KubernetesRemediator
from integrations.kubernetes.diagnostics import MAX_EVENTS_CHARS, MAX_VALUE_CHARS
from tests.kubernetes.conftest import (
    EVENTS,
    PODS,
    action_request,
    make_deployment,
    make_replica_set,
    seed_deployment,
    seed_replica_sets,
    writes,
)

DIAGNOSTICS = "collect_diagnostics"
DEGRADED = {
    "observedGeneration": 4,
    "replicas": 4,
    "updatedReplicas": 2,
    "readyReplicas": 1,
    "availableReplicas": 1,
    "unavailableReplicas": 3,
    "conditions": [
        {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"},
    ],
}


def event(
    name: str,
    kind: str,
    subject: str,
    reason: str,
    when: str,
    *,
    warning: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "prod"},
        "involvedObject": {"kind": kind, "name": subject, "namespace": "prod"},
        "type": "Warning" if warning else "Normal",
        "reason": reason,
        "message": extra.pop("message", f"{reason} happened"),
        "lastTimestamp": when,
        **extra,
    }


def seed_events(cluster: KubernetesEmulator, *events: dict[str, Any]) -> None:
    for item in events:
        cluster.objects[EVENTS, "prod", item["metadata"]["name"]] = item


@pytest.fixture
def degraded(cluster: KubernetesEmulator) -> KubernetesEmulator:
    seed_deployment(cluster, make_deployment(replicas=3, status=DEGRADED))
    seed_replica_sets(cluster, make_replica_set(2, "pay:1.2"), make_replica_set(3, "pay:1.3"))
    seed_events(
        cluster,
        event(
            "e1",
            "Deployment",
            "payments",
            "ScalingReplicaSet",
            "2025-03-14T09:00:00Z",
            warning=False,
        ),
        event(
            "e2",
            "ReplicaSet",
            "payments-h3abc",
            "FailedCreate",
            "2025-03-14T09:10:00Z",
            count=7,
            message='pods "payments-x" is forbidden: exceeded quota',
        ),
        event("e3", "Pod", "payments-h3abc-zz", "BackOff", "2025-03-14T09:20:00Z"),
        event("e4", "Deployment", "checkout", "Unrelated", "2025-03-14T09:30:00Z"),
        event("e5", "ReplicaSet", "payments-h2abc", "OldNews", "2025-03-14T08:00:00Z"),
    )
    return cluster


async def test_diagnostics_summarise_status_history_and_events(
    degraded: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    result = await remediator.execute(action_request(DIAGNOSTICS))

    details = result.details
    assert details["replicas"] == "desired 3, updated 2, ready 1, available 1, unavailable 3"
    assert "ProgressDeadlineExceeded" in details["conditions"]
    assert "exceeded its progress deadline" in details["rollout"]
    assert details["replica_sets"].startswith("payments-h3abc rev 3 0/0 ready (pay:1.3)")
    # Only the Deployment's and its newest ReplicaSet's events, newest first.
    assert details["events"].split(" | ") == [
        '2025-03-14T09:10:00Z Warning FailedCreate x7: pods "payments-x" is forbidden: '
        "exceeded quota",
        "2025-03-14T09:00:00Z Normal ScalingReplicaSet: ScalingReplicaSet happened",
    ]
    assert details["warning_events"] == "1"
    assert details["logs_command"] == (
        "kubectl -n prod logs deployment/payments --all-containers --since=1h"
    )
    assert result.summary == (
        "collected diagnostics for deployment prod/payments: deployment prod/payments exceeded "
        "its progress deadline; 2 ReplicaSets, 2 events (1 warnings); 0 container restarts"
    )
    selectors = [r.params.get("fieldSelector") for r in degraded if r.url.path.endswith("/events")]
    assert selectors == [
        "involvedObject.kind=Deployment,involvedObject.name=payments",
        "involvedObject.kind=ReplicaSet,involvedObject.name=payments-h3abc",
    ]
    assert writes(degraded) == []


async def test_diagnostics_stay_small_with_a_flood_of_long_events(
    cluster: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    seed_deployment(cluster, make_deployment())
    seed_events(
        cluster,
        *(
            event(
                f"e{i}",
                "Deployment",
                "payments",
                "Flood",
                f"2025-03-14T09:{i % 60:02d}:00Z",
                message="x" * 5000,
            )
            for i in range(200)
        ),
    )
    result = await remediator.execute(action_request(DIAGNOSTICS))
    details = dict(result.details)
    events = details.pop("events")
    assert len(events) <= MAX_EVENTS_CHARS
    assert all(len(value) <= MAX_VALUE_CHARS for value in details.values())
    assert sum(len(value) for value in details.values()) < 4000
    lines = events.split(" | ")
    # The default limit of 10, then how many were left out.
    assert len(lines) == 11
    assert lines[0].startswith("2025-03-14T09:59:00Z Warning Flood: xxx")
    assert lines[-1] == "+190 older"


async def test_unreadable_events_degrade_instead_of_failing(
    degraded: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    degraded["get /api/v1/namespaces/prod/events"] << KubernetesError(
        status=403, reason="Forbidden", message="events are off limits"
    )
    result = await remediator.execute(action_request(DIAGNOSTICS))
    assert result.details["events"] == "none found"
    assert result.details["problems"] == (
        "Deployment events unavailable (forbidden); ReplicaSet events unavailable (forbidden)"
    )
    assert "payments-h3abc" in result.details["replica_sets"]


async def test_diagnostics_have_nothing_to_roll_back(
    degraded: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    result = await remediator.execute(action_request(DIAGNOSTICS))
    undone = await remediator.rollback(action_request(DIAGNOSTICS), result)
    assert "nothing to roll back" in undone.summary
    assert writes(degraded) == []


def crashed_pod(name: str, restarts: int, *, app: str = "payments") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "prod", "labels": {"app": app}},
        "status": {
            "containerStatuses": [
                {
                    "name": "api",
                    "restartCount": restarts,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {
                        "terminated": {
                            "reason": "OOMKilled",
                            "exitCode": 137,
                            "finishedAt": "2025-03-14T09:25:00Z",
                        }
                    },
                },
                {"name": "sidecar", "restartCount": 0, "state": {"running": {}}},
            ]
        },
    }


def served_log(text: str) -> Any:
    """The log endpoint as the API server answers: the last tailLines, at most limitBytes."""

    def answer(request: Any) -> bytes:
        lines = text.splitlines(keepends=True)[-int(request.params["tailLines"]) :]
        return "".join(lines).encode()[: int(request.params["limitBytes"])]

    return answer


async def test_crashed_containers_give_restarts_termination_and_previous_logs(
    degraded: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    for pod in (
        crashed_pod("payments-h3abc-zz", 7),
        crashed_pod("payments-h3abc-yy", 2),
        crashed_pod("checkout-1-aa", 40, app="checkout"),
    ):
        degraded.objects[PODS, "prod", pod["metadata"]["name"]] = pod
    long_log = (
        "".join(f"line {i}: allocating buffer\n" for i in range(2000)) + "fatal: out of memory\n"
    )
    degraded[lambda r: r.url.path.endswith("/log")] << served_log(long_log)

    result = await remediator.execute(action_request(DIAGNOSTICS))

    details = result.details
    assert details["restart_count"] == "9"  # checkout's pod is not this workload's
    assert details["restarts"].startswith(
        "payments-h3abc-zz/api: 7 restarts, last terminated OOMKilled (exit 137) at "
        "2025-03-14T09:25:00Z, now CrashLoopBackOff; payments-h3abc-yy/api: 2 restarts"
    )
    assert details["last_termination"] == "OOMKilled, exit code 137"
    assert "BackOff" in details["pod_events"]
    log = details["log:payments-h3abc-zz/api"]
    assert log.endswith("fatal: out of memory") and len(log) <= 4000 + 2
    assert "log:payments-h3abc-zz/sidecar" not in details  # it never crashed
    [first, *_] = [r for r in degraded if r.url.path.endswith("/log")]
    assert first.params == {
        "container": "api",
        "previous": "true",
        "tailLines": "50",
        "limitBytes": "4000",
    }
    assert "9 container restarts, last terminated OOMKilled, exit code 137" in result.summary
    assert writes(degraded) == []


async def test_unreadable_logs_degrade_instead_of_failing(
    degraded: KubernetesEmulator, remediator: KubernetesRemediator
) -> None:
    degraded.objects[PODS, "prod", "payments-h3abc-zz"] = crashed_pod("payments-h3abc-zz", 3)
    degraded[lambda r: r.url.path.endswith("/log")] << KubernetesError(
        status=403, reason="Forbidden", message="logs are off limits"
    )
    result = await remediator.execute(action_request(DIAGNOSTICS))
    assert "previous log of payments-h3abc-zz/api (forbidden)" in result.details["problems"]
    assert result.details["restart_count"] == "3"
