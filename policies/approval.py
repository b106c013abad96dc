"""Checks at the moment of a click, or just before an autonomous run: is it still allowed?"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.triage import CheckedTriage
from policies.action_decision import decide
from policies.bounds import param_reasons
from policies.catalog import CATALOG
from policies.decisions import (
    ApprovalCheck,
    Decision,
    Outcome,
    Refusal,
    RefusalCode,
    params_hash,
)
from policies.engine_inputs import (
    Approver,
    FreezeState,
    History,
    IncidentFacts,
    Proposal,
    require_aware,
)
from policies.policy import Policy
from policies.policy_schema import ApproverSet, AutonomyMode

APPROVABLE = frozenset({Outcome.NEEDS_APPROVAL, Outcome.NEEDS_TWO_APPROVALS, Outcome.ESCALATE})


def check_approval(
    decision: Decision,
    proposal: Proposal,
    clicked_params_hash: str,
    approver: Approver,
    prior_approvers: Sequence[str],
    incident: IncidentFacts,
    superseded: bool,
    policy: Policy,
    now: datetime,
) -> ApprovalCheck:
    """Whether `approver` may approve now, and how many approvals remain after theirs."""
    # Approvals are by hand, so a freeze does not stop them; check_autonomous_run is
    # where a freeze stops the system itself.
    require_aware(now, "now")
    refusal = (
        _bound(decision, proposal, clicked_params_hash)
        or _current(decision, incident, superseded, now)
        or _approvable(decision, prior_approvers)
        or _policy_still_allows(decision, proposal, incident, policy)
        or _approver_refusal(decision, proposal, approver, prior_approvers, policy)
    )
    if refusal is not None:
        return ApprovalCheck(refusal=refusal)
    given = len(set(prior_approvers)) + 1
    return ApprovalCheck(refusal=None, approvals_remaining=decision.approvals_needed - given)


def check_autonomous_run(
    decision: Decision,
    proposal: Proposal,
    incident: IncidentFacts,
    triage: CheckedTriage,
    history: History,
    freeze: FreezeState,
    policy: Policy,
    now: datetime,
    superseded: bool = False,
) -> ApprovalCheck:
    """Whether the system may still run an AUTO_EXECUTE decision by itself right now."""
    require_aware(now, "now")
    if decision.outcome is not Outcome.AUTO_EXECUTE:
        return _refused(RefusalCode.NOT_APPROVABLE, "This action was not decided to run by itself.")
    refusal = _bound(decision, proposal, decision.params_hash) or _current(
        decision, incident, superseded, now
    )
    if refusal is not None:
        return ApprovalCheck(refusal=refusal)
    if freeze.is_frozen(incident.service, now):
        return _refused(
            RefusalCode.FROZEN,
            f"Autonomy is frozen for {incident.service}; {proposal.action} now needs approval.",
        )
    if policy.version != decision.policy_version:
        return _refused(
            RefusalCode.POLICY_CHANGED,
            "The policy changed since this was decided; it must be decided again.",
        )
    fresh = decide(proposal, incident, triage, history, freeze, policy, now)
    if fresh.outcome is not Outcome.AUTO_EXECUTE:
        why = fresh.reasons[0].text if fresh.reasons else str(fresh.outcome)
        return _refused(RefusalCode.NO_LONGER_AUTONOMOUS, f"No longer runs by itself: {why}")
    return ApprovalCheck(refusal=None)


def _refused(code: RefusalCode, message: str) -> ApprovalCheck:
    return ApprovalCheck(refusal=Refusal(code, message))


def _bound(decision: Decision, proposal: Proposal, clicked: str) -> Refusal | None:
    actual = params_hash(proposal.action, proposal.target, proposal.params)
    if clicked != decision.params_hash or actual != decision.params_hash:
        return Refusal(
            RefusalCode.PARAMS_MISMATCH,
            "This button does not match the proposed action any more; nothing was approved.",
        )
    return None


def _current(
    decision: Decision, incident: IncidentFacts, superseded: bool, now: datetime
) -> Refusal | None:
    if superseded:
        return Refusal(
            RefusalCode.SUPERSEDED,
            "A newer proposal replaced this one; approve that one instead.",
        )
    if now >= decision.expires_at:
        return Refusal(
            RefusalCode.EXPIRED,
            f"This proposal expired at {decision.expires_at:%H:%M} UTC; ask for a fresh one.",
        )
    if not incident.is_open:
        status = incident.status or "closed"
        return Refusal(RefusalCode.INCIDENT_CLOSED, f"The incident is {status}; nothing more runs.")
    return None


def _approvable(decision: Decision, prior_approvers: Sequence[str]) -> Refusal | None:
    if decision.outcome not in APPROVABLE or decision.approvals_needed < 1:
        return Refusal(
            RefusalCode.NOT_APPROVABLE,
            f"This action is {decision.outcome.value.replace('_', ' ')}; it cannot be approved.",
        )
    if len(set(prior_approvers)) >= decision.approvals_needed:
        return Refusal(RefusalCode.NOT_APPROVABLE, "This action already has its approvals.")
    return None


def _policy_still_allows(
    decision: Decision, proposal: Proposal, incident: IncidentFacts, policy: Policy
) -> Refusal | None:
    if policy.version == decision.policy_version:
        return None
    entry = policy.action(proposal.action)
    spec = CATALOG.get(proposal.action)
    if entry is None or spec is None or not entry.enabled:
        why = "disables this action"
    elif param_reasons(spec, entry, proposal.params):
        why = "no longer allows these parameters"
    elif policy.rules.approvals_for(spec.name) > decision.approvals_needed:
        why = "now asks for two approvers"
    elif policy.mode_for(incident.service, incident.environment) is AutonomyMode.SHADOW:
        why = "puts this service in shadow mode"
    else:
        return None
    return Refusal(
        RefusalCode.POLICY_CHANGED,
        f"The policy changed since this was proposed and {why}; ask for a fresh proposal.",
    )


def _approver_refusal(
    decision: Decision,
    proposal: Proposal,
    approver: Approver,
    prior_approvers: Sequence[str],
    policy: Policy,
) -> Refusal | None:
    if policy.action(proposal.action) is None:
        return Refusal(RefusalCode.NOT_APPROVABLE, "The policy has no such action to approve.")
    allowed = policy.rules.approvers_for(proposal.action)
    if not allowed.admits(approver.user_id, approver.group_ids):
        fallback = (
            " The policy file is invalid, so the safe fallback's approvers apply."
            if policy.is_fallback
            else ""
        )
        return Refusal(
            RefusalCode.NOT_AN_APPROVER,
            f"Only {_mentions(allowed)} may approve {proposal.action} ({decision.risk}).{fallback}",
        )
    if approver.user_id == proposal.proposed_by:
        return Refusal(
            RefusalCode.OWN_PROPOSAL,
            "You proposed this action; someone else must approve it.",
        )
    if approver.user_id in prior_approvers:
        return Refusal(
            RefusalCode.ALREADY_APPROVED,
            "You already approved this; a second, different person must approve it.",
        )
    return None


def _mentions(approvers: ApproverSet) -> str:
    names = [f"<!subteam^{g}>" for g in approvers.groups] + [f"<@{u}>" for u in approvers.users]
    return ", ".join(names)
