"""The last-action annotation is only trusted for the same key and action."""

from __future__ import annotations

from typing import Any

from bot.ports.remediation import ExecutionResult
from integrations.kubernetes.marker import (
    LAST_ACTION_ANNOTATION,
    marker_annotations,
    recorded_result,
)

RESULT = ExecutionResult("scaled prod/payments from 3 to 5", {"replicas": "5"})


def annotated(annotations: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "payments", "annotations": annotations}}


def test_a_recorded_result_round_trips() -> None:
    deployment = annotated(marker_annotations("key-1", "scale_deployment", RESULT))
    assert recorded_result(deployment, "key-1", "scale_deployment") == RESULT


def test_another_key_or_action_is_not_a_match() -> None:
    deployment = annotated(marker_annotations("key-1", "scale_deployment", RESULT))
    assert recorded_result(deployment, "key-2", "scale_deployment") is None
    assert recorded_result(deployment, "key-1", "restart_deployment") is None


def test_missing_or_garbled_records_are_ignored() -> None:
    assert recorded_result({"metadata": {}}, "key-1", "scale_deployment") is None
    for garbage in ("not json", "[]", '{"key": "key-1", "action": "scale_deployment"}'):
        deployment = annotated({LAST_ACTION_ANNOTATION: garbage})
        assert recorded_result(deployment, "key-1", "scale_deployment") is None
