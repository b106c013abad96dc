"""What a click may do, decided from the stored action, the engine and the freeze state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions.states import ActionState
from bot.autonomy.scope import FLEET, label
from bot.slack_text import escape
from bot.store.models import ActionRow
from policies.approval import check_approval
from policies.decisions import ApprovalCheck, Decision, Outcome, Refusal, RefusalCode
from policies.engine_inputs import Approver, FreezeState, IncidentFacts, Proposal
from policies.policy import Policy

S = ActionState
# Approved by people or by policy, and on its way or past it.
PAST_APPROVAL = frozenset(
    {S.APPROVED, S.EXECUTING, S.SUCCEEDED, S.FAILED, S.VERIFIED, S.UNVERIFIED, S.INTERRUPTED}
)
CLICKABLE = frozenset({S.AWAITING_APPROVAL, S.SUPERSEDED})


def check_click(
    row: ActionRow,
    decision: Decision,
    proposal: Proposal,
    incident: IncidentFacts,
    clicked_params_hash: str,
    approver: Approver,
    freeze: FreezeState,
    policy: Policy,
    now: datetime,
) -> ApprovalCheck:
    """Whether this Approve click counts, and how many approvals remain after it."""
    settled = settled_refusal(row, approver.user_id)
    if settled is not None:
        return ApprovalCheck(refusal=settled)
    frozen = frozen_refusal(decision, incident.service, freeze, now)
    if frozen is not None:
        return ApprovalCheck(refusal=frozen)
    return check_approval(
        decision,
        proposal,
        clicked_params_hash,
        approver,
        list(row.approvers),
        incident,
        row.state == S.SUPERSEDED.value,
        policy,
        now,
    )


def settled_refusal(row: ActionRow, user_id: str) -> Refusal | None:
    """A refusal when the action is past deciding (approved, denied, expired, …)."""
    try:
        state = ActionState(row.state)
    except ValueError:
        return Refusal(RefusalCode.NOT_APPROVABLE, "This action is in an unknown state.")
    if state in CLICKABLE:
        return None
    if state is S.EXPIRED:
        return Refusal(
            RefusalCode.EXPIRED,
            f"This proposal expired at {row.expires_at:%H:%M} UTC; ask for a fresh one.",
        )
    if state is S.CANCELLED:
        return Refusal(
            RefusalCode.INCIDENT_CLOSED,
            f"No longer offered: {row.error or 'the incident ended before anyone decided'};"
            " nothing will run.",
        )
    if state is S.DENIED:
        return Refusal(
            RefusalCode.NOT_APPROVABLE,
            f"Already denied{_by_at(row, [row.decided_by] if row.decided_by else [])};"
            " nothing will run.",
        )
    if state in PAST_APPROVAL:
        if user_id in row.approvers:
            return Refusal(
                RefusalCode.ALREADY_APPROVED,
                f"You already approved this{_at(row)}; it is {state.value.replace('_', ' ')}.",
            )
        return Refusal(
            RefusalCode.NOT_APPROVABLE,
            f"Already approved{_by_at(row, row.approvers)}; it is {state.value.replace('_', ' ')}.",
        )
    return Refusal(
        RefusalCode.NOT_APPROVABLE,
        f"This action is {state.value.replace('_', ' ')}; it cannot be approved.",
    )


def frozen_refusal(
    decision: Decision, service: str, freeze: FreezeState, now: datetime
) -> Refusal | None:
    """A refusal when a click would start what the system decided to run by itself, frozen."""
    if decision.outcome is not Outcome.AUTO_EXECUTE:
        return None
    held = freeze.freeze_for(service, now)
    if held is None:
        return None
    scope = FLEET if held is freeze.fleet else service
    return Refusal(
        RefusalCode.FROZEN,
        f"Autonomy is frozen for {label(scope)}. This action was decided to run by itself,"
        " and nothing decided that way starts during a freeze; a fresh proposal will ask"
        " for approval by hand.",
    )


def deny_refusal(
    row: ActionRow, clicked_params_hash: str, user_id: str, admitted: bool, who: str
) -> Refusal | None:
    """Why a Deny click does not count, if it does not."""
    if row.state != S.AWAITING_APPROVAL.value:
        settled = settled_refusal(row, user_id)
        if settled is not None:
            return settled
        return Refusal(
            RefusalCode.SUPERSEDED, "A newer proposal replaced this one; nothing to deny."
        )
    if clicked_params_hash != row.params_hash:
        return Refusal(
            RefusalCode.PARAMS_MISMATCH,
            "This button does not match the proposed action any more; nothing was denied.",
        )
    if not admitted and user_id != row.proposed_by:
        return Refusal(
            RefusalCode.NOT_AN_APPROVER,
            f"Only {who} may deny {escape(row.action)} ({escape(row.risk_class)}).",
        )
    return None


def _by_at(row: ActionRow, people: Sequence[str]) -> str:
    by = " by " + ", ".join(f"<@{escape(p)}>" for p in people) if people else ""
    return by + _at(row)


def _at(row: ActionRow) -> str:
    return f" at {row.decided_at:%H:%M} UTC" if row.decided_at else ""
