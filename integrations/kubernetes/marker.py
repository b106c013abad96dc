"""The annotation that records, on the Deployment itself, the last action applied to it.

Written in the same patch as the change, it lets a retried `execute` (after a timeout that
hid a success) see that its change already landed instead of scaling or undoing twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.ports.remediation import ExecutionResult

LAST_ACTION_ANNOTATION = "smokejumper.io/last-action"


def marker_annotations(
    idempotency_key: str, action: str, result: ExecutionResult
) -> dict[str, str]:
    """The annotation to write alongside a change."""
    record = {
        "key": idempotency_key,
        "action": action,
        "summary": result.summary,
        "details": dict(result.details),
    }
    return {LAST_ACTION_ANNOTATION: json.dumps(record, sort_keys=True, separators=(",", ":"))}


def recorded_result(
    deployment: Mapping[str, Any], idempotency_key: str, action: str
) -> ExecutionResult | None:
    """The result recorded for this key and action, when it is the last action applied."""
    metadata = deployment.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    raw = annotations.get(LAST_ACTION_ANNOTATION) if isinstance(annotations, Mapping) else None
    if not isinstance(raw, str):
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    if record.get("key") != idempotency_key or record.get("action") != action:
        return None
    details = record.get("details")
    if not isinstance(details, dict):
        return None
    return ExecutionResult(
        summary=str(record.get("summary", "")),
        details={str(k): str(v) for k, v in details.items()},
    )
