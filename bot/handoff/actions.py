"""Fold the action entries of the log into one record per action."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.events import EventKind as K
from bot.handoff import payload
from bot.handoff.models import ActionOutcome, ActionRecord, slack_user_id
from bot.store.models import EventRow

A = ActionOutcome

# The newest of these entries about an action says where it stands.
OUTCOME_OF_KIND: dict[str, ActionOutcome] = {
    K.ACTION_APPROVED: A.APPROVED,
    K.ACTION_DENIED: A.DENIED,
    K.ACTION_EXPIRED: A.EXPIRED,
    K.ACTION_EXECUTING: A.RUNNING,
    K.ACTION_SHADOWED: A.SHADOWED,
    K.ACTION_SUCCEEDED: A.SUCCEEDED,
    K.ACTION_FAILED: A.FAILED,
    K.ACTION_VERIFIED: A.VERIFIED,
    K.ACTION_UNVERIFIED: A.UNVERIFIED,
    K.ACTION_INTERRUPTED: A.INTERRUPTED,
}
_DECIDING = frozenset({K.ACTION_PROPOSED, K.ACTION_DECIDED})
_ACTION_KINDS = frozenset(OUTCOME_OF_KIND) | _DECIDING

# Policy decisions (policies.decisions.Outcome and a few synonyms) that settle an action;
# any other word, an unknown one included, means a person has to decide: the safe reading.
_DECISIONS: dict[str, ActionOutcome] = {
    "auto_execute": A.ALLOWED,
    "allow": A.ALLOWED,
    "forbidden": A.BLOCKED,
    "deny": A.BLOCKED,
    "escalate": A.ESCALATED,
    "shadow_only": A.SHADOWED,
}
_UNDECIDED = frozenset({A.AWAITING_APPROVAL, A.ALLOWED, A.BLOCKED, A.ESCALATED})


def _decided(decision: str) -> ActionOutcome:
    return _DECISIONS.get(decision.lower(), A.AWAITING_APPROVAL)


@dataclass
class _Draft:
    action_id: str
    action: str | None = None
    target: str | None = None
    outcome: ActionOutcome = A.AWAITING_APPROVAL
    proposed_by: str | None = None
    approvers: dict[str, None] = field(default_factory=dict)
    denied_by: dict[str, None] = field(default_factory=dict)
    error_code: str | None = None
    verification: str | None = None
    sources: list[int] = field(default_factory=list)

    def apply(self, event: EventRow, event_id: int) -> None:
        data = event.data
        self.sources.append(event_id)
        self.action = self.action or payload.text(data, "action")
        self.target = self.target or payload.text(data, "target")
        decision = payload.text(data, "decision")
        if event.kind == K.ACTION_PROPOSED:
            self.proposed_by = slack_user_id(event.actor) or event.actor
        if event.kind in _DECIDING:
            # A late decision entry must not undo an approval or a result.
            if decision is not None and self.outcome in _UNDECIDED:
                self.outcome = _decided(decision)
            return
        self.outcome = OUTCOME_OF_KIND[event.kind]
        if event.kind == K.ACTION_APPROVED:
            for who in [*payload.texts(data, "approvers"), event.actor]:
                if user := slack_user_id(who):
                    self.approvers[user] = None
        elif event.kind == K.ACTION_DENIED:
            if user := slack_user_id(event.actor):
                self.denied_by[user] = None
        elif event.kind == K.ACTION_FAILED:
            self.error_code = payload.text(data, "error_code") or self.error_code
        elif event.kind in (K.ACTION_VERIFIED, K.ACTION_UNVERIFIED):
            self.verification = payload.text(data, "outcome")

    def record(self) -> ActionRecord:
        return ActionRecord(
            action_id=self.action_id,
            action=self.action or "unknown action",
            target=self.target or "unknown target",
            outcome=self.outcome,
            proposed_by=self.proposed_by,
            approvers=tuple(self.approvers),
            denied_by=tuple(self.denied_by),
            error_code=self.error_code if self.outcome is A.FAILED else None,
            verification=self.verification,
            sources=tuple(self.sources),
        )


def _key(event: EventRow) -> str | None:
    action_id = payload.text(event.data, "action_id")
    if action_id:
        return action_id
    # Without an id, an action is known by what it does and where.
    action = payload.text(event.data, "action")
    return f"{action}@{payload.text(event.data, 'target') or '?'}" if action else None


def fold_actions(events: Sequence[EventRow]) -> list[ActionRecord]:
    """One record per action, in the order they were first logged."""
    drafts: dict[str, _Draft] = {}
    for event in events:
        if event.kind not in _ACTION_KINDS or event.id is None:
            continue
        key = _key(event)
        if key is None:
            continue
        draft = drafts.setdefault(key, _Draft(action_id=key))
        draft.apply(event, event.id)
    return [draft.record() for draft in drafts.values()]
