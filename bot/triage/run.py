"""One triage: ask the model when there is one, fall back to the runbooks, always check."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.ports.triage import Triager
from bot.triage.checks import check_triage
from bot.triage.context import TriageContext
from bot.triage.models import CheckedTriage, FallbackReason
from bot.triage.runbook_triage import triage_by_runbook
from policies.runbooks import Runbook


@dataclass(frozen=True, slots=True)
class TriageRun:
    """A checked triage and what happened on the way to it."""

    checked: CheckedTriage
    # Set when a model was asked and its answer could not be used.
    model_failure: FallbackReason | None = None
    model_failure_detail: str = ""
    model_duration_ms: float = 0.0
    duration_ms: float = 0.0


async def run_triage(
    context: TriageContext, triager: Triager | None, runbooks: Sequence[Runbook]
) -> TriageRun:
    """The checked report of the model, or of the runbooks when there is no usable answer."""
    started = time.perf_counter()
    if triager is None:
        checked = triage_by_runbook(context)
        return TriageRun(checked=checked, duration_ms=_since(started))
    outcome = await triager.triage(context, runbooks)
    if outcome.report is not None and outcome.provenance is not None:
        checked = check_triage(outcome.report, context, outcome.provenance)
        return TriageRun(
            checked=checked,
            model_duration_ms=float(outcome.duration_ms),
            duration_ms=_since(started),
        )
    reason = outcome.failure or FallbackReason.INVALID_SCHEMA
    return TriageRun(
        checked=triage_by_runbook(context, reason),
        model_failure=reason,
        model_failure_detail=outcome.detail,
        model_duration_ms=float(outcome.duration_ms),
        duration_ms=_since(started),
    )


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
