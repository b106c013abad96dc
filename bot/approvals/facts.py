"""Stored rows turned into the values the policy engine checks a click against."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.facts import incident_facts as shared_facts
from bot.actions.facts import triage_of
from bot.store.models import ActionRow, IncidentRow
from policies.decisions import Decision, Outcome, Reason, ReasonCode
from policies.engine_inputs import IncidentFacts, Proposal
from policies.policy_schema import AutonomyMode, RiskClass


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
    """What the store knows of an incident, in the engine's terms: the same facts the
    proposal was decided on (one builder, bot.actions.facts)."""
    return await shared_facts(session, incident, await triage_of(session, incident))


def _reasons(row: ActionRow) -> list[Reason]:
    reasons = []
    for entry in row.reasons:
        try:
            reasons.append(Reason(ReasonCode(entry.get("code", "")), str(entry.get("text", ""))))
        except ValueError:
            continue
    return reasons
