"""Checks at click time, and just before the system runs something by itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from policies.decisions import ApprovalCheck, Decision, Outcome, RefusalCode
from policies.engine import check_approval, check_autonomous_run, decide
from policies.engine_inputs import (
    Approver,
    AutonomousRun,
    Freeze,
    FreezeState,
    History,
    IncidentFacts,
    IncidentState,
    Proposal,
)
from policies.policy import Policy, fallback_policy
from tests.policies.factories import (
    ALICE,
    BOB,
    CAROL,
    NOW,
    ONCALL,
    SERVICE,
    incident,
    policy_with,
    proposal,
    triage,
)

ALICE_ONCALL = Approver.of(ALICE, [ONCALL])
BOB_ONCALL = Approver.of(BOB, [ONCALL])
CAROL_ELSEWHERE = Approver.of(CAROL, ["S0PAYMENTS"])
WEBHOOK = {"webhook": "flush-cache"}


def _decided(
    action: str = "run_webhook",
    *,
    policy: Policy | None = None,
    proposed_by: str = "triage",
    params: dict[str, str] | None = None,
) -> tuple[Decision, Proposal, Policy]:
    used = policy or policy_with()
    made = proposal(action, proposed_by=proposed_by, params=WEBHOOK if params is None else params)
    decision = decide(made, incident(), triage(), History(), FreezeState(), used, NOW)
    return decision, made, used


def _click(
    decision: Decision,
    made: Proposal,
    policy: Policy,
    approver: Approver = ALICE_ONCALL,
    prior: Sequence[str] = (),
    *,
    clicked: str | None = None,
    facts: IncidentFacts | None = None,
    superseded: bool = False,
    minutes_later: float = 1,
) -> ApprovalCheck:
    return check_approval(
        decision,
        made,
        decision.params_hash if clicked is None else clicked,
        approver,
        prior,
        facts or incident(),
        superseded,
        policy,
        NOW + timedelta(minutes=minutes_later),
    )


def _refusal(check: ApprovalCheck) -> RefusalCode | None:
    return check.refusal.code if check.refusal is not None else None


def test_two_different_approvers_complete_a_two_person_action() -> None:
    decision, made, policy = _decided()
    assert decision.outcome is Outcome.NEEDS_TWO_APPROVALS

    first = _click(decision, made, policy, ALICE_ONCALL)
    second = _click(decision, made, policy, BOB_ONCALL, [ALICE])

    assert first.allowed and not first.complete
    assert first.approvals_remaining == 1
    assert second.allowed and second.complete


def test_one_approval_completes_a_one_person_action() -> None:
    decision, made, policy = _decided("rollback_deployment", params={})

    check = _click(decision, made, policy)

    assert decision.outcome is Outcome.NEEDS_APPROVAL
    assert check.complete


def test_the_same_person_twice_is_refused() -> None:
    decision, made, policy = _decided()

    check = _click(decision, made, policy, ALICE_ONCALL, [ALICE])

    assert _refusal(check) is RefusalCode.ALREADY_APPROVED
    assert check.refusal is not None and "different person" in check.refusal.message


def test_a_third_approval_is_refused_once_complete() -> None:
    decision, made, policy = _decided()

    check = _click(decision, made, policy, Approver.of(CAROL, [ONCALL]), [ALICE, BOB])

    assert _refusal(check) is RefusalCode.NOT_APPROVABLE


def test_the_proposer_cannot_approve_their_own_proposal() -> None:
    decision, made, policy = _decided(proposed_by=ALICE)

    own = _click(decision, made, policy, ALICE_ONCALL)
    other = _click(decision, made, policy, BOB_ONCALL)

    assert _refusal(own) is RefusalCode.OWN_PROPOSAL
    assert other.allowed


def test_someone_outside_the_approvers_is_refused() -> None:
    decision, made, policy = _decided()

    check = _click(decision, made, policy, CAROL_ELSEWHERE)

    assert _refusal(check) is RefusalCode.NOT_AN_APPROVER
    assert check.refusal is not None and f"<!subteam^{ONCALL}>" in check.refusal.message


def test_a_user_named_directly_may_approve_without_the_group() -> None:
    policy = policy_with({"approvers": {"semi_safe": {"groups": [], "users": [CAROL, BOB]}}})
    decision, made, _ = _decided("rollback_deployment", policy=policy, params={})

    assert _click(decision, made, policy, CAROL_ELSEWHERE).allowed
    assert _refusal(_click(decision, made, policy, ALICE_ONCALL)) is RefusalCode.NOT_AN_APPROVER


def test_an_action_may_name_its_own_approvers() -> None:
    policy = policy_with({"actions": {"rollback_deployment": {"approvers": {"users": [CAROL]}}}})
    decision, made, _ = _decided("rollback_deployment", policy=policy, params={})

    assert _click(decision, made, policy, CAROL_ELSEWHERE).allowed
    assert _refusal(_click(decision, made, policy, ALICE_ONCALL)) is RefusalCode.NOT_AN_APPROVER


def test_an_expired_proposal_is_refused() -> None:
    decision, made, policy = _decided()

    just_in_time = _click(decision, made, policy, minutes_later=29.99)
    expired = _click(decision, made, policy, minutes_later=30)

    assert just_in_time.allowed
    assert _refusal(expired) is RefusalCode.EXPIRED


def test_a_button_for_other_parameters_is_refused() -> None:
    decision, made, policy = _decided()

    check = _click(decision, made, policy, clicked="0" * 64)

    assert _refusal(check) is RefusalCode.PARAMS_MISMATCH


def test_a_proposal_changed_after_the_decision_is_refused() -> None:
    decision, _, policy = _decided()
    changed = proposal("run_webhook", webhook="drop-tables")

    check = _click(decision, changed, policy)

    assert _refusal(check) is RefusalCode.PARAMS_MISMATCH


def test_a_superseded_proposal_is_refused() -> None:
    decision, made, policy = _decided()

    assert _refusal(_click(decision, made, policy, superseded=True)) is RefusalCode.SUPERSEDED


def test_a_closed_incident_refuses_approvals() -> None:
    decision, made, policy = _decided()

    check = _click(decision, made, policy, facts=incident(state=IncidentState.CLOSED))

    assert _refusal(check) is RefusalCode.INCIDENT_CLOSED


@pytest.mark.parametrize(
    ("patch", "allowed"),
    [
        # Two approvers are now needed where one was asked: refused.
        ({"actions": {"rollback_deployment": {"two_approvers": True}}}, False),
        # The action is switched off: refused.
        ({"actions": {"rollback_deployment": {"enabled": False}}}, False),
        # The service moved to shadow mode: refused.
        ({"autonomy": {"services": {SERVICE: "shadow"}}}, False),
        # A change that does not touch this action: still allowed.
        ({"limits": {"verification_window_minutes": 20}}, True),
    ],
)
def test_a_changed_policy_must_still_allow_the_action(
    patch: dict[str, object], allowed: bool
) -> None:
    decision, made, _ = _decided("rollback_deployment", params={})
    changed = policy_with(patch)
    assert changed.version != decision.policy_version

    check = _click(decision, made, changed)

    assert check.allowed is allowed
    if not allowed:
        assert _refusal(check) is RefusalCode.POLICY_CHANGED


def test_changed_bounds_refuse_parameters_they_no_longer_allow() -> None:
    decision, made, _ = _decided(
        "scale_deployment",
        params={"replicas_delta": "4", "max_replicas": "20"},
        policy=policy_with(mode="assist"),
    )
    tighter = policy_with(
        {"actions": {"scale_deployment": {"bounds": {"replicas_delta": {"max": 2}}}}},
        mode="assist",
    )

    assert _refusal(_click(decision, made, tighter)) is RefusalCode.POLICY_CHANGED


@pytest.mark.parametrize(
    ("action", "params", "outcome"),
    [
        ("restart_deployment", {}, Outcome.AUTO_EXECUTE),
        ("drop_database", {}, Outcome.FORBIDDEN),
    ],
)
def test_decisions_without_approvals_cannot_be_approved(
    action: str, params: dict[str, str], outcome: Outcome
) -> None:
    decision, made, policy = _decided(action, params=params)
    assert decision.outcome is outcome

    assert _refusal(_click(decision, made, policy)) is RefusalCode.NOT_APPROVABLE


def test_an_escalated_action_takes_two_approvals() -> None:
    made = proposal("restart_deployment")
    policy = policy_with()
    decision = decide(
        made, incident(), triage(confidence=0.2), History(), FreezeState(), policy, NOW
    )

    first = _click(decision, made, policy, ALICE_ONCALL)
    second = _click(decision, made, policy, BOB_ONCALL, [ALICE])

    assert decision.outcome is Outcome.ESCALATE
    assert first.allowed and first.approvals_remaining == 1
    assert second.complete


def test_a_freeze_does_not_stop_approvals_by_hand() -> None:
    made = proposal("restart_deployment")
    policy = policy_with()
    frozen = FreezeState(fleet=Freeze(reason="incident review"))
    decision = decide(made, incident(), triage(), History(), frozen, policy, NOW)

    assert decision.outcome is Outcome.NEEDS_APPROVAL
    assert _click(decision, made, policy).complete


def test_the_fallback_says_why_someone_may_not_approve() -> None:
    fallback = fallback_policy("policy.yml, line 3: bad")
    decision, made, _ = _decided("rollback_deployment", policy=fallback, params={})

    check = _click(decision, made, fallback, CAROL_ELSEWHERE)

    assert _refusal(check) is RefusalCode.NOT_AN_APPROVER
    assert check.refusal is not None and "fallback" in check.refusal.message


def _autonomous(
    *,
    policy: Policy | None = None,
    history: History | None = None,
    freeze: FreezeState | None = None,
    facts: IncidentFacts | None = None,
    minutes_later: float = 1,
) -> ApprovalCheck:
    made = proposal("restart_deployment")
    decided_under = policy_with()
    decision = decide(made, incident(), triage(), History(), FreezeState(), decided_under, NOW)
    assert decision.outcome is Outcome.AUTO_EXECUTE
    return check_autonomous_run(
        decision,
        made,
        facts or incident(),
        triage(),
        history or History(),
        freeze or FreezeState(),
        policy or decided_under,
        NOW + timedelta(minutes=minutes_later),
    )


def test_an_autonomous_run_goes_ahead_when_nothing_changed() -> None:
    assert _autonomous().complete


def test_a_freeze_stops_an_autonomous_run() -> None:
    frozen = FreezeState(services={SERVICE: Freeze(reason="stop")})

    assert _refusal(_autonomous(freeze=frozen)) is RefusalCode.FROZEN


def test_a_changed_policy_stops_an_autonomous_run() -> None:
    changed = policy_with({"limits": {"verification_window_minutes": 20}})

    assert _refusal(_autonomous(policy=changed)) is RefusalCode.POLICY_CHANGED


def test_a_budget_used_up_meanwhile_stops_an_autonomous_run() -> None:
    busy = History(autonomous_runs=tuple(AutonomousRun(SERVICE, NOW) for _ in range(3)))

    check = _autonomous(history=busy)

    assert _refusal(check) is RefusalCode.NO_LONGER_AUTONOMOUS
    assert check.refusal is not None and "budget" in check.refusal.message


def test_an_expired_or_closed_autonomous_run_is_refused() -> None:
    assert _refusal(_autonomous(minutes_later=31)) is RefusalCode.EXPIRED
    closed = incident(state=IncidentState.CLOSED)
    assert _refusal(_autonomous(facts=closed)) is RefusalCode.INCIDENT_CLOSED


def test_only_autonomous_decisions_run_by_themselves() -> None:
    decision, made, policy = _decided()

    check = check_autonomous_run(
        decision, made, incident(), triage(), History(), FreezeState(), policy, NOW
    )

    assert _refusal(check) is RefusalCode.NOT_APPROVABLE
