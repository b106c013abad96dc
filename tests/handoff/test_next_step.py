"""The recommended next step, one case per rule; the first rule that applies wins."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.handoff.models import ActionOutcome, ActionRecord, Fact, Hypothesis
from bot.handoff.next_step import recommend

A = ActionOutcome
STATUS_SOURCES = (1,)
HYPOTHESIS = Hypothesis(
    text="A bad deploy",
    confidence=0.7,
    origin="runbook",
    recommended_team="payments-oncall",
    evidence=(),
    sources=(9,),
)
TEAM = Fact("payments-oncall", (9,))


def act(
    action: str, outcome: ActionOutcome, source: int, *, error_code: str | None = None
) -> ActionRecord:
    return ActionRecord(
        action_id=f"id-{source}",
        action=action,
        target="production/checkout",
        outcome=outcome,
        proposed_by="smokejumper",
        approvers=(),
        denied_by=(),
        error_code=error_code,
        verification=None,
        sources=(source,),
    )


@dataclass(frozen=True)
class Case:
    status: str
    actions: tuple[ActionRecord, ...]
    text: str
    sources: tuple[int, ...]
    hypothesis: Hypothesis | None = HYPOTHESIS
    team: Fact | None = TEAM


CASES = {
    # A closed incident needs nothing, whatever its actions say.
    "closed": Case(
        "closed",
        (act("restart_deployment", A.FAILED, 20),),
        "Nothing to do: the incident is closed.",
        STATUS_SOURCES,
    ),
    # Resolved: the review is what is left.
    "resolved": Case(
        "resolved",
        (act("restart_deployment", A.AWAITING_APPROVAL, 20),),
        "Finish the review and close the incident.",
        STATUS_SOURCES,
    ),
    # A failed action: hand it to the team, and do not try the same thing again.
    "failed": Case(
        "acknowledged",
        (
            act("restart_deployment", A.FAILED, 20, error_code="rollout_timeout"),
            act("rollback_deployment", A.AWAITING_APPROVAL, 21),
        ),
        "Escalate to payments-oncall and do not repeat restart_deployment on "
        "production/checkout; last outcome: failed (rollout_timeout).",
        (9, 20),
    ),
    # An action that ran but did not verify counts as not helping.
    "unverified": Case(
        "acknowledged",
        (act("scale_deployment", A.UNVERIFIED, 20),),
        "Escalate to payments-oncall and do not repeat scale_deployment on "
        "production/checkout; last outcome: ran but did not verify.",
        (9, 20),
    ),
    # Without a team from triage or paging, the service owners are named.
    "failed_no_team": Case(
        "triggered",
        (act("restart_deployment", A.INTERRUPTED, 20),),
        "Escalate to the service owners and do not repeat restart_deployment on "
        "production/checkout; last outcome: interrupted.",
        (20,),
        team=None,
    ),
    # A failure followed by a verified action no longer calls for escalation.
    "failed_then_verified": Case(
        "acknowledged",
        (
            act("restart_deployment", A.FAILED, 20),
            act("rollback_deployment", A.VERIFIED, 21),
        ),
        "Confirm recovery after rollback_deployment and mark the incident mitigated.",
        (21,),
    ),
    # Something waits on a person: decide on the oldest, count the rest.
    "awaiting_approval": Case(
        "acknowledged",
        (
            act("rollback_deployment", A.AWAITING_APPROVAL, 20),
            act("scale_deployment", A.AWAITING_APPROVAL, 21),
        ),
        "Decide on rollback_deployment for production/checkout: it is awaiting approval "
        "(1 more awaiting).",
        (20, 21),
    ),
    # Mitigated and nothing pending: confirm and resolve.
    "mitigated": Case(
        "mitigated",
        (act("rollback_deployment", A.VERIFIED, 20),),
        "Confirm recovery and resolve the incident.",
        STATUS_SOURCES,
    ),
    # An action still on its way: watch it.
    "running": Case(
        "acknowledged",
        (act("rollback_deployment", A.RUNNING, 20),),
        "Watch rollback_deployment on production/checkout until it is verified.",
        (20,),
    ),
    # Denied and blocked actions are settled; the triage is what to look at again.
    "only_settled_actions": Case(
        "acknowledged",
        (act("rollback_deployment", A.DENIED, 20), act("restart_deployment", A.BLOCKED, 21)),
        "Review the triage and choose what to try first.",
        (9,),
    ),
    # Nothing yet but a triage.
    "triage_only": Case("triggered", (), "Review the triage and choose what to try first.", (9,)),
    # Nothing at all.
    "nothing": Case(
        "triggered",
        (),
        "Review the alerts and triage the incident.",
        STATUS_SOURCES,
        hypothesis=None,
        team=None,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rule(case: Case) -> None:
    step = recommend(case.status, STATUS_SOURCES, case.actions, case.hypothesis, case.team)
    assert step == Fact(case.text, case.sources)
