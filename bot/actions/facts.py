"""What the policy engine needs from the store: incident facts and history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.outcomes import past_outcomes
from bot.actions.states import FAILED_STATES, ActionState
from bot.domain.events import EventKind
from bot.domain.lifecycle import IncidentStatus
from bot.domain.signals import parse_severity
from bot.incidents.service import incident_subject
from bot.store.models import ActionRow, EventRow, IncidentRow, SignalRow, TriageRow
from bot.triage.models import CheckedTriage
from policies.engine_inputs import (
    AlertingService,
    AutonomousRun,
    FailedAction,
    History,
    IncidentFacts,
    IncidentState,
    PastOutcome,
    RecentAction,
)
from policies.policy import Policy
from policies.runbooks import classification_for

# Runs that count against the blast radius: the action got as far as the adapter.
_RAN = [
    ActionState.EXECUTING.value,
    ActionState.SUCCEEDED.value,
    ActionState.FAILED.value,
    ActionState.VERIFIED.value,
    ActionState.UNVERIFIED.value,
    ActionState.INTERRUPTED.value,
]


async def incident_facts(
    session: AsyncSession, incident: IncidentRow, triage: CheckedTriage | None
) -> IncidentFacts:
    """The one builder of what the policy sees of an incident: at propose time, at click
    time and right before an adapter call, so every decision reads the same facts."""
    assert incident.id is not None
    signals = await session.exec(
        select(SignalRow.fingerprint, SignalRow.source, SignalRow.labels).where(
            SignalRow.incident_id == incident.id
        )
    )
    rows = list(signals.all())
    fingerprints = {fingerprint for fingerprint, _, _ in rows}
    sources = {source for _, source, _ in rows}
    labels: dict[str, str] = {}
    for _, _, row_labels in rows:
        labels.update(row_labels)
    classification = (
        triage.report.classification
        if triage is not None
        else classification_for(parse_severity(incident.severity))
    )
    signal_count = max(len(fingerprints), 1)
    return IncidentFacts(
        id=str(incident.id),
        service=incident.service,
        environment=incident.environment,
        state=_state(incident.status),
        status=incident.status,
        classification=classification,
        signal_count=signal_count,
        independent_sources=min(max(len(sources), 1), signal_count),
        incident_class=triage.report.incident_class if triage is not None else "unknown",
        labels=labels,
        subject=incident_subject(incident),
    )


async def triage_of(session: AsyncSession, incident: IncidentRow) -> CheckedTriage | None:
    """The incident's current triage, if it has one."""
    if incident.triage_id is None:
        return None
    row = await session.get(TriageRow, incident.triage_id)
    return CheckedTriage.model_validate(row.checked) if row is not None else None


def _state(status: str) -> IncidentState:
    try:
        return IncidentState.of(IncidentStatus(status))
    except ValueError:
        # An unknown status is read as closed: nothing more runs.
        return IncidentState.CLOSED


async def history(
    session: AsyncSession, incident_id: int, policy: Policy, now: datetime
) -> History:
    """Fleet-wide runs, pages and alerting services in the policy's windows, and this
    incident's own actions."""
    limits = policy.rules.limits
    widest = max(
        limits.blast_radius.window_minutes,
        limits.paging_rate.window_minutes,
        limits.circuit_breaker.window_minutes,
        limits.duplicate_window_minutes,
    )
    since = now - timedelta(minutes=widest)
    runs = await session.exec(
        select(ActionRow.service, ActionRow.started_at, ActionRow.approvers).where(
            col(ActionRow.state).in_(_RAN), col(ActionRow.started_at) >= since
        )
    )
    # Autonomous runs are the ones nobody approved.
    autonomous = tuple(
        AutonomousRun(service, at) for service, at, approvers in runs.all() if at and not approvers
    )
    own = await session.exec(select(ActionRow).where(ActionRow.incident_id == incident_id))
    own_rows = list(own.all())
    failed = tuple(
        FailedAction(r.action, r.params_hash) for r in own_rows if r.state in FAILED_STATES
    )
    recent = tuple(
        RecentAction(r.params_hash, r.started_at)
        for r in own_rows
        if r.started_at is not None and r.state in _RAN
    )
    pages = await session.exec(
        # Queued pages count from the moment they are queued: twenty escalations in a
        # burst must not all pass before the first page goes out.
        select(EventRow.at).where(
            EventRow.kind == EventKind.PAGE_REQUESTED.value, col(EventRow.at) >= since
        )
    )
    alerting = await session.exec(
        select(SignalRow.service, func.min(SignalRow.received_at))
        .where(col(SignalRow.received_at) >= since, SignalRow.status == "firing")
        .group_by(col(SignalRow.service))
    )
    incident = await session.get(IncidentRow, incident_id)
    outcomes: tuple[PastOutcome, ...] = ()
    if incident is not None:
        outcomes = await past_outcomes(
            session,
            incident_subject(incident),
            days=limits.failed_action_memory_days,
            now=now,
            exclude_incident=incident_id,
        )
    return History(
        past_outcomes=outcomes,
        autonomous_runs=autonomous,
        failed_actions=failed,
        pages_sent=tuple(pages.all()),
        services_alerting=tuple(AlertingService(s, at) for s, at in alerting.all() if at),
        recent_actions=recent,
    )
