"""Alertmanager-shaped signals and contexts for the triage tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

from bot.domain.signals import Link, Signal, SignalStatus, parse_severity
from bot.triage.context import ChangeEvent, PastIncident, TriageContext, build_context
from bot.triage.models import (
    ActionParam,
    Classification,
    Evidence,
    EvidenceSource,
    ProposedAction,
    TriageReport,
)
from policies.engine_inputs import PastOutcome
from policies.runbooks import ChangeKind, Runbook, load_runbooks, runbooks_version

T0 = datetime(2026, 11, 21, 7, 43, 49, tzinfo=UTC)


@cache
def shipped_runbooks() -> tuple[Runbook, ...]:
    return tuple(load_runbooks())


def alert(
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    *,
    fingerprint: str = "d40fc7db1abbc59f",
    status: SignalStatus = SignalStatus.FIRING,
    starts_at: datetime = T0,
    service: str | None = None,
    environment: str | None = None,
) -> Signal:
    """A signal as the Alertmanager source normalizes one webhook alert."""
    notes = annotations or {}
    return Signal(
        source="alertmanager",
        environment=environment or labels.get("environment", "production"),
        service=service or labels.get("service", "unknown"),
        fingerprint=fingerprint,
        severity=parse_severity(labels.get("severity")),
        status=status,
        summary=notes.get("summary") or labels.get("alertname", "alert"),
        labels=labels,
        annotations=notes,
        links=[Link(title="Source", url=f"http://prometheus:9090/graph?fp={fingerprint}")],
        starts_at=starts_at,
    )


def context_for(
    signals: Sequence[Signal],
    *,
    service: str = "checkout",
    environment: str = "production",
    changes: Sequence[ChangeEvent] = (),
    past_incidents: Sequence[PastIncident] = (),
    runbooks: Sequence[Runbook] | None = None,
    outcomes: Sequence[PastOutcome] = (),
) -> TriageContext:
    books = list(shipped_runbooks() if runbooks is None else runbooks)
    return build_context(
        signals,
        service=service,
        environment=environment,
        runbooks=books,
        runbooks_version=runbooks_version(books),
        changes=changes,
        past_incidents=past_incidents,
        outcomes=outcomes,
    )


def deploy(
    minutes_before: int, *, subject: str = "v2.14.0", pointer: str = "argocd:checkout/1207"
) -> ChangeEvent:
    return ChangeEvent(
        kind=ChangeKind.DEPLOY,
        description=f"ArgoCD synced checkout to {subject}",
        at=T0 - timedelta(minutes=minutes_before),
        pointer=pointer,
        subject=subject,
    )


def report(
    *,
    incident_class: str = "crash_looping_service",
    classification: Classification = Classification.MEDIUM,
    confidence: float = 0.8,
    evidence: Sequence[Evidence] | None = None,
    actions: Sequence[ProposedAction] = (),
) -> TriageReport:
    """A report as a model might answer it."""
    return TriageReport(
        classification=classification,
        confidence=confidence,
        requires_ticket=True,
        requires_paging=False,
        requires_mim=False,
        recommended_team="platform",
        incident_class=incident_class,
        hypothesis="The checkout pods crash on start.",
        evidence=list(
            evidence
            if evidence is not None
            else [
                Evidence(
                    source=EvidenceSource.SIGNAL,
                    claim="KubePodCrashLooping is firing",
                    pointer="signal:d40fc7db1abbc59f",
                )
            ]
        ),
        unknowns=[],
        proposed_actions=list(actions),
    )


def action(name: str, target: str = "production/checkout", **params: str) -> ProposedAction:
    return ProposedAction(
        action=name,
        target=target,
        params=[ActionParam(name=k, value=v) for k, v in params.items()],
        rationale="because",
    )


CRASH_LABELS = {
    "alertname": "KubePodCrashLooping",
    "container": "api",
    "namespace": "checkout",
    "pod": "checkout-7d9f8c6b5-x2kqp",
    "reason": "CrashLoopBackOff",
    "service": "checkout",
    "severity": "warning",
}
CRASH_ANNOTATIONS = {
    "description": (
        "Pod checkout/checkout-7d9f8c6b5-x2kqp (api) is in waiting state"
        ' (reason: "CrashLoopBackOff").'
    ),
    "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
    "summary": "Pod is crash looping.",
}


def crash_signal(
    *,
    fingerprint: str = "d40fc7db1abbc59f",
    status: SignalStatus = SignalStatus.FIRING,
    severity: str = "warning",
) -> Signal:
    labels = {**CRASH_LABELS, "severity": severity}
    return alert(labels, dict(CRASH_ANNOTATIONS), fingerprint=fingerprint, status=status)
