"""The state machine of one proposed action, as a transition table."""

from __future__ import annotations

from enum import StrEnum


class ActionState(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # policy wants one or two responders to approve
    APPROVED = "approved"  # approved (or allowed by policy); waiting to run
    EXECUTING = "executing"  # claimed by one worker; never claimed twice
    SUCCEEDED = "succeeded"  # the adapter did it; verification pending
    FAILED = "failed"  # the adapter failed for good; escalated
    VERIFIED = "verified"  # the signal recovered within the window
    UNVERIFIED = "unverified"  # no recovery within the window; escalated
    DENIED = "denied"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a newer triage replaced the proposal
    SHADOWED = "shadowed"  # shadow mode: what would have run, recorded only
    ESCALATED = "escalated"  # policy sent it to humans instead
    FORBIDDEN = "forbidden"
    INTERRUPTED = "interrupted"  # a crash cut execution short; reported, never re-run
    WITHDRAWN = "withdrawn"  # the dry run found no such target; never offered
    CANCELLED = "cancelled"  # the incident was resolved or closed before anyone decided


S = ActionState

TRANSITIONS: dict[ActionState, frozenset[ActionState]] = {
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.DENIED, S.EXPIRED, S.SUPERSEDED, S.WITHDRAWN}),
    # Back to waiting when autonomy froze (or the policy changed) before an automatic run.
    S.APPROVED: frozenset({S.EXECUTING, S.SUPERSEDED, S.AWAITING_APPROVAL}),
    S.EXECUTING: frozenset({S.SUCCEEDED, S.FAILED, S.INTERRUPTED}),
    S.SUCCEEDED: frozenset({S.VERIFIED, S.UNVERIFIED}),
}

# States in which nothing more will happen to the action.
FINAL = frozenset(s for s in ActionState if s not in TRANSITIONS)
# States that count as "this action failed for this incident": it is never proposed again.
FAILED_STATES = frozenset({S.FAILED, S.UNVERIFIED, S.INTERRUPTED})


def allowed(current: ActionState, target: ActionState) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
