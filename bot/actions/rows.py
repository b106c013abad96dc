"""A decided proposal as a stored action row: one shape for triage, console and chat."""

from __future__ import annotations

from bot.actions.common import POLICY_ACTOR
from bot.actions.states import ActionState
from bot.store.models import ActionRow, IncidentRow
from policies.decisions import Decision, Outcome
from policies.engine_inputs import Proposal

STATE_OF = {
    Outcome.AUTO_EXECUTE: ActionState.APPROVED,
    Outcome.NEEDS_APPROVAL: ActionState.AWAITING_APPROVAL,
    Outcome.NEEDS_TWO_APPROVALS: ActionState.AWAITING_APPROVAL,
    Outcome.FORBIDDEN: ActionState.FORBIDDEN,
    # Escalated actions stay approvable (by more people): humans are told, and decide.
    Outcome.ESCALATE: ActionState.AWAITING_APPROVAL,
    Outcome.SHADOW_ONLY: ActionState.SHADOWED,
}


def action_row(
    incident: IncidentRow,
    triage_id: int | None,
    proposal: Proposal,
    decision: Decision,
    idempotency_key: str,
    *,
    undo_of: int | None = None,
) -> ActionRow:
    """The row for `proposal` as `decision` left it; one the policy runs is decided by it."""
    assert incident.id is not None
    auto = decision.outcome is Outcome.AUTO_EXECUTE
    return ActionRow(
        incident_id=incident.id,
        triage_id=triage_id,
        action=proposal.action,
        target=proposal.target,
        service=incident.service,
        environment=incident.environment,
        subject=incident.subject,
        params=dict(proposal.params),
        params_hash=decision.params_hash,
        rationale=proposal.rationale,
        proposed_by=proposal.proposed_by,
        proposed_at=proposal.proposed_at,
        expires_at=decision.expires_at,
        decision=decision.outcome.value,
        reasons=decision.reasons_json(),
        policy_version=decision.policy_version,
        risk_class=decision.risk.value,
        approvals_needed=decision.approvals_needed,
        state=STATE_OF[decision.outcome].value,
        decided_by=POLICY_ACTOR if auto else None,
        decided_at=proposal.proposed_at if auto else None,
        adapter=decision.adapter,
        idempotency_key=idempotency_key,
        undo_of=undo_of,
    )
