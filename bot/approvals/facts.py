"""Stored rows turned into the values the policy engine checks a click against."""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.lifecycle import IncidentStatus
from bot.domain.signals import Severity
from bot.incidents.service import incident_subject
from bot.store.models import ActionRow, IncidentRow, SignalRow, TriageRow
from policies.decisions import Decision, Outcome, Reason, ReasonCode
from policies.engine_inputs import IncidentFacts, IncidentState, Proposal
from policies.policy_schema import AutonomyMode, RiskClass
from policies.runbooks import Classification, classification_for


def decision_of(row: ActionRow, mode: AutonomyMode) -> Decision:
    """The decision recorded on an action; anything unreadable reads as the safest value."""
    try:
        outcome = Outcome(row.decision)
    except ValueError:
        outcome = Outcome.FORBIDDEN
    try:
        risk = RiskClass(row.risk_class)
    except ValueError:
        risk = RiskClass.HUMAN_ONLY
    return Decision(
        action=row.action,
        target=row.target,
        outcome=outcome,
        reasons=tuple(_reasons(row)),
        policy_version=row.policy_version,
        risk=risk,
        approvals_needed=row.approvals_needed,
        params_hash=row.params_hash,
        mode=mode,
        expires_at=row.expires_at,
        adapter=row.adapter,
    )


def proposal_of(row: ActionRow) -> Proposal:
    """The action as it was proposed."""
    return Proposal(
        action=row.action,
        target=row.target,
        params=dict(row.params),
        rationale=row.rationale,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
    )


async def incident_facts(session: AsyncSession, incident: IncidentRow) -> IncidentFacts:
    """What the store knows of an incident, in the engine's terms."""
    assert incident.id is not None
    try:
        state = IncidentState.of(IncidentStatus(incident.status))
    except ValueError:
        state = IncidentState.CLOSED
    try:
        classification = classification_for(Severity(incident.severity))
    except ValueError:
        classification = Classification.HIGH
    sources = await session.exec(
        select(func.count(func.distinct(SignalRow.source))).where(
            col(SignalRow.incident_id) == incident.id
        )
    )
    latest = await session.exec(
        select(SignalRow.labels)
        .where(col(SignalRow.incident_id) == incident.id)
        .order_by(col(SignalRow.id).desc())
        .limit(1)
    )
    labels = latest.first() or {}
    signal_count = max(0, incident.signal_count)
    return IncidentFacts(
        id=str(incident.id),
        service=incident.service,
        environment=incident.environment,
        state=state,
        classification=classification,
        signal_count=signal_count,
        independent_sources=min(int(sources.one()), signal_count),
        incident_class=await _incident_class(session, incident),
        labels={str(k): str(v) for k, v in dict(labels).items()},
        subject=incident_subject(incident),
    )


async def _incident_class(session: AsyncSession, incident: IncidentRow) -> str:
    if incident.triage_id is None:
        return ""
    triage = await session.get(TriageRow, incident.triage_id)
    if triage is None:
        return ""
    report = triage.checked.get("report")
    value = report.get("incident_class") if isinstance(report, dict) else None
    return str(value) if value else ""


def _reasons(row: ActionRow) -> list[Reason]:
    reasons = []
    for entry in row.reasons:
        try:
            reasons.append(Reason(ReasonCode(entry.get("code", "")), str(entry.get("text", ""))))
        except ValueError:
            continue
    return reasons
