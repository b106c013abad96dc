"""`rollout_status` follows `kubectl rollout status`, one case per rule."""

from __future__ import annotations

from typing import Any

import pytest

from bot.ports.remediation import VerifyStatus
from integrations.kubernetes.rollout import rollout_status

DEADLINE = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
PROGRESSING_OK = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}


def deployment(
    *,
    replicas: int | None = 3,
    generation: int = 2,
    observed: int = 2,
    updated: int = 3,
    current: int = 3,
    available: int = 3,
    conditions: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {} if replicas is None else {"replicas": replicas}
    return {
        "metadata": {"name": "payments", "namespace": "prod", "generation": generation},
        "spec": spec,
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "replicas": current,
            "availableReplicas": available,
            "conditions": conditions if conditions is not None else [PROGRESSING_OK],
        },
    }


CASES = [
    # The controller has not seen the latest spec yet: nothing else can be judged.
    (
        "spec not observed",
        deployment(generation=3, observed=2),
        VerifyStatus.PROGRESSING,
        "spec update to be observed",
    ),
    # Even an exceeded deadline waits for the controller to observe the spec first.
    (
        "deadline before observed",
        deployment(generation=3, observed=2, conditions=[DEADLINE]),
        VerifyStatus.PROGRESSING,
        "spec update to be observed",
    ),
    # The Progressing condition's ProgressDeadlineExceeded reason is a failed rollout.
    (
        "deadline exceeded",
        deployment(conditions=[DEADLINE]),
        VerifyStatus.FAILED,
        "exceeded its progress deadline",
    ),
    # The deadline wins even when the counts look complete.
    (
        "deadline with full counts",
        deployment(updated=3, available=3, conditions=[DEADLINE]),
        VerifyStatus.FAILED,
        "exceeded its progress deadline",
    ),
    # Fewer updated replicas than desired.
    (
        "updating",
        deployment(updated=1, current=3, available=3),
        VerifyStatus.PROGRESSING,
        "1 out of 3 new replicas have been updated",
    ),
    # All updated, but old replicas still running.
    (
        "old pending termination",
        deployment(updated=3, current=5, available=3),
        VerifyStatus.PROGRESSING,
        "2 old replicas are pending termination",
    ),
    # All updated, not all available yet.
    (
        "not yet available",
        deployment(updated=3, current=3, available=2),
        VerifyStatus.PROGRESSING,
        "2 of 3 updated replicas are available",
    ),
    # Observed, updated, available: done.
    ("rolled out", deployment(), VerifyStatus.HEALTHY, "successfully rolled out"),
    # An unset spec.replicas means 1, as the API server defaults it.
    (
        "default one replica pending",
        deployment(replicas=None, updated=0, current=0, available=0),
        VerifyStatus.PROGRESSING,
        "0 out of 1 new replicas",
    ),
    (
        "default one replica done",
        deployment(replicas=None, updated=1, current=1, available=1),
        VerifyStatus.HEALTHY,
        "successfully rolled out",
    ),
    # Scaled to zero with nothing left over is complete.
    (
        "scaled to zero",
        deployment(replicas=0, updated=0, current=0, available=0),
        VerifyStatus.HEALTHY,
        "successfully rolled out",
    ),
    # A missing status block (brand-new object) is not complete.
    (
        "no status",
        {"metadata": {"name": "payments", "namespace": "prod"}, "spec": {"replicas": 2}},
        VerifyStatus.PROGRESSING,
        "0 out of 2 new replicas",
    ),
]


@pytest.mark.parametrize(
    ("deployment_object", "expected", "phrase"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rollout_status(
    deployment_object: dict[str, Any], expected: VerifyStatus, phrase: str
) -> None:
    result = rollout_status(deployment_object)
    assert result.status is expected
    assert phrase in result.summary
    assert "prod/payments" in result.summary
