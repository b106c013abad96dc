"""decide(): one commented case per rule, and a near miss that must not trigger it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.subject import Subject, SubjectKind
from bot.triage.models import CheckCode, Classification
from policies.decisions import Outcome, ReasonCode, params_hash
from policies.engine import decide, effective_mode
from policies.engine_inputs import (
    AlertingService,
    AutonomousRun,
    FailedAction,
    Freeze,
    FreezeState,
    History,
    IncidentState,
    PastOutcome,
    RecentAction,
)
from policies.policy import fallback_policy
from policies.policy_schema import AutonomyMode, RiskClass
from tests.policies.factories import (
    NOW,
    SCOPE,
    SERVICE,
    Replace,
    incident,
    minutes_ago,
    policy_with,
    proposal,
    triage,
)

RESTART_HASH = params_hash("restart_deployment", SCOPE, {})
HIGH: dict[str, Any] = {"classification": Classification.HIGH}


def _runs(count: int, service: str = SERVICE, minutes: float = 5) -> tuple[AutonomousRun, ...]:
    return tuple(AutonomousRun(service, minutes_ago(minutes)) for _ in range(count))


def _alerting(*services: str, minutes: float = 2) -> tuple[AlertingService, ...]:
    return tuple(AlertingService(s, minutes_ago(minutes)) for s in services)


SUBJECT = Subject(kind=SubjectKind.SERVICE, name=SERVICE, environment="production", service=SERVICE)


def _outcome(outcome: str, *, days: float) -> PastOutcome:
    return PastOutcome(
        "restart_deployment",
        SUBJECT.key,
        "crash_looping_service",
        outcome,
        12,
        minutes_ago(days * 1440),
    )


@dataclass(frozen=True)
class Case:
    """One scenario: the base is a safe, reversible restart in limited mode that runs."""

    outcome: Outcome
    present: ReasonCode | None = None
    absent: ReasonCode | None = None
    action: str = "restart_deployment"
    params: dict[str, str] = field(default_factory=dict)
    target: str = SCOPE
    mode: str = "limited"
    patch: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    history: History = field(default_factory=History)
    freeze: FreezeState = field(default_factory=FreezeState)
    approvals: int | None = None
    # A phrase the reasons must contain, where the code alone could come from elsewhere.
    says: str | None = None


CASES: dict[str, Case] = {
    # The base: limited mode runs a safe, reversible action by itself.
    "autonomous": Case(Outcome.AUTO_EXECUTE, present=ReasonCode.AUTONOMOUS, approvals=0),
    # Near miss: the same action in assist mode does not run by itself.
    "autonomous_near_miss_assist": Case(
        Outcome.NEEDS_APPROVAL, absent=ReasonCode.AUTONOMOUS, mode="assist"
    ),
    # An action outside the catalog can never run.
    "not_in_catalog": Case(
        Outcome.FORBIDDEN, present=ReasonCode.NOT_IN_CATALOG, action="drop_database", approvals=0
    ),
    "not_in_catalog_near_miss": Case(Outcome.AUTO_EXECUTE, absent=ReasonCode.NOT_IN_CATALOG),
    # The policy may switch an action off entirely.
    "disabled": Case(
        Outcome.FORBIDDEN,
        present=ReasonCode.ACTION_DISABLED,
        patch={"actions": {"restart_deployment": {"enabled": False}}},
    ),
    "disabled_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.ACTION_DISABLED,
        patch={"actions": {"restart_deployment": {"enabled": True}}},
    ),
    # A target other than the incident's own scope is refused.
    "out_of_scope": Case(
        Outcome.FORBIDDEN, present=ReasonCode.TARGET_OUT_OF_SCOPE, target="production/payments"
    ),
    "out_of_scope_near_miss": Case(
        Outcome.AUTO_EXECUTE, absent=ReasonCode.TARGET_OUT_OF_SCOPE, target=SCOPE
    ),
    # A parameter the catalog does not declare is refused, not dropped.
    "param_unknown": Case(
        Outcome.FORBIDDEN, present=ReasonCode.PARAM_INVALID, params={"force": "yes"}
    ),
    # A value of the wrong type is refused.
    "param_not_integer": Case(
        Outcome.FORBIDDEN,
        present=ReasonCode.PARAM_INVALID,
        action="scale_deployment",
        params={"replicas_delta": "two", "max_replicas": "10"},
    ),
    # A required parameter must be there.
    "param_missing": Case(
        Outcome.FORBIDDEN,
        present=ReasonCode.PARAM_INVALID,
        action="scale_deployment",
        params={"replicas_delta": "2"},
    ),
    "param_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.PARAM_INVALID,
        action="scale_deployment",
        params={"replicas_delta": "2", "max_replicas": "10"},
    ),
    # The policy bounds a parameter tighter than the catalog (replicas_delta at most 4).
    "param_above_bounds": Case(
        Outcome.FORBIDDEN,
        present=ReasonCode.PARAM_OUT_OF_BOUNDS,
        action="scale_deployment",
        params={"replicas_delta": "5", "max_replicas": "10"},
    ),
    # Without a bound on max_replicas, the scale ceiling of the policy still applies.
    "param_above_scale_ceiling": Case(
        Outcome.FORBIDDEN,
        present=ReasonCode.PARAM_OUT_OF_BOUNDS,
        action="scale_deployment",
        params={"replicas_delta": "2", "max_replicas": "21"},
        patch={"actions": {"scale_deployment": {"bounds": Replace({})}}},
        says="ceiling of 20 replicas",
    ),
    "param_bounds_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.PARAM_OUT_OF_BOUNDS,
        action="scale_deployment",
        params={"replicas_delta": "4", "max_replicas": "20"},
    ),
    # Nothing runs for a closed incident.
    "incident_closed": Case(
        Outcome.FORBIDDEN,
        present=ReasonCode.INCIDENT_CLOSED,
        facts={"state": IncidentState.CLOSED},
    ),
    "incident_closed_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.INCIDENT_CLOSED,
        facts={"state": IncidentState.OPEN},
    ),
    # Below 0.70, a change to a system goes to two people.
    "low_confidence": Case(
        Outcome.ESCALATE,
        present=ReasonCode.LOW_CONFIDENCE,
        report={"confidence": 0.69},
        approvals=2,
    ),
    "low_confidence_near_miss_at_threshold": Case(
        Outcome.AUTO_EXECUTE, absent=ReasonCode.LOW_CONFIDENCE, report={"confidence": 0.70}
    ),
    # Bringing people in is never blocked by low confidence.
    "low_confidence_near_miss_human_action": Case(
        Outcome.NEEDS_APPROVAL,
        absent=ReasonCode.LOW_CONFIDENCE,
        action="page_oncall",
        report={"confidence": 0.3},
    ),
    # A check flag that contradicts the report escalates.
    "contradiction": Case(
        Outcome.ESCALATE,
        present=ReasonCode.EVIDENCE_CONTRADICTS,
        report={"flags": [CheckCode.SEVERITY_MISMATCH]},
    ),
    # A fallback flag says who answered, not that the evidence disagrees.
    "contradiction_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.EVIDENCE_CONTRADICTS,
        report={"flags": [CheckCode.FALLBACK]},
    ),
    # The same action with the same parameters failed before: people decide.
    "failed_before": Case(
        Outcome.ESCALATE,
        present=ReasonCode.ACTION_FAILED_BEFORE,
        history=History(failed_actions=(FailedAction("restart_deployment", RESTART_HASH),)),
        approvals=2,
    ),
    # Another parameter set of the same action is a different action.
    "failed_before_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.ACTION_FAILED_BEFORE,
        history=History(failed_actions=(FailedAction("restart_deployment", "f" * 64),)),
    ),
    # Labels that say billing (any case or dash spelling) keep systems hands-off.
    "sensitive_label": Case(
        Outcome.ESCALATE,
        present=ReasonCode.SENSITIVE_DOMAIN,
        facts={"labels": {"category": "Billing"}},
    ),
    # A label spelt with dashes and capitals still counts.
    "sensitive_label_spelling": Case(
        Outcome.ESCALATE,
        present=ReasonCode.SENSITIVE_DOMAIN,
        facts={"labels": {"domain": "Data-Integrity"}},
    ),
    # So does a security incident class, whoever named it.
    "sensitive_class": Case(
        Outcome.ESCALATE,
        present=ReasonCode.SENSITIVE_DOMAIN,
        report={"incident_class": "security_or_data_integrity"},
    ),
    "sensitive_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.SENSITIVE_DOMAIN,
        facts={"labels": {"category": "latency"}},
    ),
    # Bringing people into a sensitive incident is exactly what should happen.
    "sensitive_near_miss_human_action": Case(
        Outcome.NEEDS_APPROVAL,
        absent=ReasonCode.SENSITIVE_DOMAIN,
        action="escalate_to_human",
        facts={"labels": {"category": "data-integrity"}},
        patch={"actions": {"escalate_to_human": {"risk": "semi_safe"}}},
    ),
    # Three autonomous runs for this service within the hour use up its budget.
    "service_budget": Case(
        Outcome.ESCALATE,
        present=ReasonCode.SERVICE_BUDGET_EXHAUSTED,
        history=History(autonomous_runs=_runs(3)),
        approvals=2,
    ),
    # Runs older than the window do not count.
    "service_budget_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.SERVICE_BUDGET_EXHAUSTED,
        history=History(autonomous_runs=_runs(2) + _runs(1, minutes=61)),
    ),
    # Ten autonomous runs across the fleet use up the fleet's budget.
    "fleet_budget": Case(
        Outcome.ESCALATE,
        present=ReasonCode.FLEET_BUDGET_EXHAUSTED,
        history=History(autonomous_runs=_runs(5, "cart") + _runs(5, "search")),
    ),
    "fleet_budget_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.FLEET_BUDGET_EXHAUSTED,
        history=History(autonomous_runs=_runs(5, "cart") + _runs(4, "search")),
    ),
    # Reading diagnostics changes nothing, so it spends no budget.
    "fleet_budget_near_miss_read_only": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.FLEET_BUDGET_EXHAUSTED,
        action="collect_diagnostics",
        history=History(autonomous_runs=_runs(10, "cart")),
    ),
    # Five services alerting within ten minutes open the breaker.
    "breaker": Case(
        Outcome.ESCALATE,
        present=ReasonCode.CIRCUIT_BREAKER_OPEN,
        history=History(services_alerting=_alerting("a", "b", "c", "d", SERVICE)),
    ),
    # Repeated alerts of the same services are not a widespread failure.
    "breaker_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.CIRCUIT_BREAKER_OPEN,
        history=History(
            services_alerting=_alerting("a", "b", "c", SERVICE, SERVICE)
            + _alerting("d", minutes=11)
        ),
    ),
    # A fleet-wide freeze turns a run into a request for approval.
    "frozen": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.FROZEN,
        freeze=FreezeState(fleet=Freeze(reason="deploy freeze")),
        approvals=1,
    ),
    # A freeze of this service does the same.
    "frozen_service": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.FROZEN,
        freeze=FreezeState(
            services={SERVICE: Freeze(reason="db migration", until=NOW.replace(hour=9))}
        ),
    ),
    # An expired freeze no longer holds.
    "frozen_near_miss_expired": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.FROZEN,
        freeze=FreezeState(fleet=Freeze(reason="over", until=NOW)),
    ),
    # A freeze of another service does not hold here.
    "frozen_near_miss_other_service": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.FROZEN,
        freeze=FreezeState(services={"payments": Freeze(reason="theirs")}),
    ),
    # In assist mode nothing runs by itself anyway, so the freeze changes nothing.
    "frozen_near_miss_assist": Case(
        Outcome.NEEDS_APPROVAL,
        absent=ReasonCode.FROZEN,
        mode="assist",
        freeze=FreezeState(fleet=Freeze(reason="deploy freeze")),
    ),
    # The same action ran for this incident ten minutes ago: not again by itself.
    "duplicate": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.DUPLICATE_SUPPRESSED,
        history=History(recent_actions=(RecentAction(RESTART_HASH, minutes_ago(10)),)),
    ),
    "duplicate_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.DUPLICATE_SUPPRESSED,
        history=History(recent_actions=(RecentAction(RESTART_HASH, minutes_ago(16)),)),
    ),
    # Outcome memory: the restart failed for this subject and class two days ago.
    "failed_for_subject": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.FAILED_FOR_SUBJECT,
        facts={"subject": SUBJECT},
        history=History(past_outcomes=(_outcome("failed", days=2),)),
        says="was failed on #12, 2 days ago",
    ),
    # Near miss: that failure is older than the policy's seven days of memory.
    "failed_for_subject_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.FAILED_FOR_SUBJECT,
        facts={"subject": SUBJECT},
        history=History(past_outcomes=(_outcome("failed", days=8), _outcome("verified", days=1))),
    ),
    # Assist mode: every action needs approval.
    "assist": Case(
        Outcome.NEEDS_APPROVAL, present=ReasonCode.ASSIST_MODE, mode="assist", approvals=1
    ),
    "assist_near_miss": Case(Outcome.AUTO_EXECUTE, absent=ReasonCode.ASSIST_MODE),
    # Limited mode does not page by itself.
    "mode_too_low": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.MODE_TOO_LOW,
        action="page_oncall",
        facts=HIGH,
        report=HIGH,
    ),
    "mode_too_low_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.MODE_TOO_LOW,
        action="page_oncall",
        mode="paging",
        facts=HIGH,
        report=HIGH,
    ),
    # Only safe actions run by themselves: a rollback is semi_safe.
    "not_safe": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.NOT_SAFE_AND_REVERSIBLE,
        action="rollback_deployment",
        approvals=1,
    ),
    # Only reversible ones, too.
    "not_reversible": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.NOT_SAFE_AND_REVERSIBLE,
        action="escalate_to_human",
        patch={"actions": {"escalate_to_human": {"reversible": False}}},
    ),
    "not_safe_near_miss": Case(Outcome.AUTO_EXECUTE, absent=ReasonCode.NOT_SAFE_AND_REVERSIBLE),
    # human_only actions always need two people, even in the most autonomous mode.
    "human_only": Case(
        Outcome.NEEDS_TWO_APPROVALS,
        present=ReasonCode.HUMAN_ONLY_RISK,
        mode="mim",
        patch={"actions": {"restart_deployment": {"risk": "human_only"}}},
        approvals=2,
    ),
    "human_only_near_miss": Case(
        Outcome.NEEDS_APPROVAL,
        absent=ReasonCode.HUMAN_ONLY_RISK,
        patch={"actions": {"restart_deployment": {"risk": "semi_safe"}}},
    ),
    # An irreversible change to a system is high risk: two people.
    "high_risk_irreversible": Case(
        Outcome.NEEDS_TWO_APPROVALS,
        present=ReasonCode.HIGH_RISK,
        action="run_webhook",
        params={"webhook": "flush-cache"},
        approvals=2,
    ),
    # So is an action the policy marks two_approvers.
    "high_risk_marked": Case(
        Outcome.NEEDS_TWO_APPROVALS,
        present=ReasonCode.HIGH_RISK,
        patch={"actions": {"restart_deployment": {"two_approvers": True}}},
    ),
    "high_risk_near_miss": Case(
        Outcome.NEEDS_APPROVAL,
        absent=ReasonCode.HIGH_RISK,
        action="run_webhook",
        params={"webhook": "flush-cache"},
        patch={"actions": {"run_webhook": {"reversible": True}}},
    ),
    # A ticket needs confidence 0.70 to be filed by itself.
    "ticket_confidence": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.BELOW_GATE_CONFIDENCE,
        action="create_ticket",
        report={"confidence": 0.69},
    ),
    "ticket_confidence_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.BELOW_GATE_CONFIDENCE,
        action="create_ticket",
        report={"confidence": 0.70},
    ),
    # A ticket is filed by itself in production only.
    "ticket_not_production": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.NOT_PRODUCTION,
        action="create_ticket",
        target="staging/checkout",
        facts={"environment": "staging"},
    ),
    "ticket_not_production_near_miss": Case(
        Outcome.AUTO_EXECUTE, absent=ReasonCode.NOT_PRODUCTION, action="create_ticket"
    ),
    # Limited mode files tickets by itself up to medium.
    "ticket_above_mode": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.CLASSIFICATION_ABOVE_MODE,
        action="create_ticket",
        facts=HIGH,
        report=HIGH,
    ),
    "ticket_above_mode_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.CLASSIFICATION_ABOVE_MODE,
        action="create_ticket",
        mode="paging",
        facts=HIGH,
        report=HIGH,
    ),
    # A page needs at least a high classification.
    "page_classification": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.CLASSIFICATION_TOO_LOW,
        action="page_oncall",
        mode="paging",
    ),
    # The lower of incident and triage counts: a triage saying high is not enough.
    "page_classification_settled_low": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.CLASSIFICATION_TOO_LOW,
        action="page_oncall",
        mode="paging",
        report=HIGH,
    ),
    "page_classification_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.CLASSIFICATION_TOO_LOW,
        action="page_oncall",
        mode="paging",
        facts=HIGH,
        report=HIGH,
    ),
    # Five pages in the last hour reach the paging rate limit.
    "page_rate": Case(
        Outcome.NEEDS_APPROVAL,
        present=ReasonCode.PAGING_RATE_LIMITED,
        action="page_oncall",
        mode="paging",
        facts=HIGH,
        report=HIGH,
        history=History(pages_sent=tuple(minutes_ago(m) for m in (1, 10, 20, 30, 59))),
    ),
    "page_rate_near_miss": Case(
        Outcome.AUTO_EXECUTE,
        absent=ReasonCode.PAGING_RATE_LIMITED,
        action="page_oncall",
        mode="paging",
        facts=HIGH,
        report=HIGH,
        history=History(pages_sent=tuple(minutes_ago(m) for m in (1, 10, 20, 30, 61))),
    ),
    # Shadow mode records what limited mode would have done, and does nothing.
    "shadow": Case(Outcome.SHADOW_ONLY, present=ReasonCode.SHADOW_MODE, mode="shadow", approvals=0),
    "shadow_near_miss": Case(Outcome.AUTO_EXECUTE, absent=ReasonCode.SHADOW_MODE),
}


def _run(case: Case) -> Any:
    return decide(
        proposal(case.action, target=case.target, params=case.params),
        incident(**case.facts),
        triage(**case.report),
        case.history,
        case.freeze,
        policy_with(case.patch, mode=case.mode),
        NOW,
    )


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_decide(case: Case) -> None:
    decision = _run(case)

    assert decision.outcome is case.outcome, decision.reasons
    if case.present is not None:
        assert decision.has(case.present), decision.reasons
    if case.absent is not None:
        assert not decision.has(case.absent), decision.reasons
    if case.approvals is not None:
        assert decision.approvals_needed == case.approvals
    if case.says is not None:
        assert any(case.says in r.text for r in decision.reasons), decision.reasons
    assert all(r.text for r in decision.reasons)


def test_the_decision_carries_version_risk_adapter_hash_and_expiry() -> None:
    policy = policy_with()
    decision = decide(
        proposal("scale_deployment", replicas_delta="2", max_replicas="10"),
        incident(),
        triage(),
        History(),
        FreezeState(),
        policy,
        NOW,
    )

    assert decision.policy_version == policy.version
    assert decision.risk is RiskClass.SAFE
    assert decision.adapter == "kubernetes"
    assert decision.params_hash == params_hash(
        "scale_deployment", SCOPE, {"max_replicas": "10", "replicas_delta": "2"}
    )
    assert decision.expires_at == NOW + timedelta(minutes=30)
    assert decision.reasons_json() == [{"code": "autonomous", "text": decision.reasons[0].text}]


def test_an_unknown_action_is_treated_as_human_only() -> None:
    decision = _run(Case(Outcome.FORBIDDEN, action="drop_database"))

    assert decision.risk is RiskClass.HUMAN_ONLY
    assert decision.adapter is None


def test_shadow_mode_records_what_would_have_happened() -> None:
    ran = _run(Case(Outcome.SHADOW_ONLY, mode="shadow"))
    escalated = _run(Case(Outcome.SHADOW_ONLY, mode="shadow", report={"confidence": 0.2}))

    assert ran.shadowed_outcome is Outcome.AUTO_EXECUTE
    assert "would have been run by itself" in ran.reasons[0].text
    assert escalated.shadowed_outcome is Outcome.ESCALATE
    assert escalated.has(ReasonCode.LOW_CONFIDENCE)
    assert escalated.approvals_needed == 0


def test_shadow_mode_imagines_the_mode_the_policy_names() -> None:
    page = _run(
        Case(
            Outcome.SHADOW_ONLY,
            action="page_oncall",
            mode="shadow",
            facts=HIGH,
            report=HIGH,
            patch={"autonomy": {"shadow_as": "paging"}},
        )
    )

    assert page.shadowed_outcome is Outcome.AUTO_EXECUTE


def test_escalating_a_human_action_keeps_its_own_approvals() -> None:
    page = _run(
        Case(
            Outcome.ESCALATE,
            action="page_oncall",
            mode="paging",
            facts=HIGH,
            report=HIGH,
            history=History(services_alerting=_alerting("a", "b", "c", "d", "e")),
        )
    )

    assert page.outcome is Outcome.ESCALATE
    assert page.approvals_needed == 1


def test_the_fallback_policy_needs_approval_and_says_why() -> None:
    decision = decide(
        proposal(), incident(), triage(), History(), FreezeState(), fallback_policy("bad"), NOW
    )
    normal = _run(Case(Outcome.AUTO_EXECUTE))

    assert decision.outcome is Outcome.NEEDS_APPROVAL
    assert decision.has(ReasonCode.POLICY_FALLBACK)
    assert "bad" in decision.reasons[-1].text
    assert not normal.has(ReasonCode.POLICY_FALLBACK)


def test_the_most_specific_scope_sets_the_mode() -> None:
    policy = policy_with(
        {"autonomy": {"services": {SERVICE: "limited", f"staging/{SERVICE}": "shadow"}}},
        mode="assist",
    )
    none = FreezeState()

    assert effective_mode(policy, none, SERVICE, "production") is AutonomyMode.LIMITED
    assert effective_mode(policy, none, SERVICE, "staging") is AutonomyMode.SHADOW
    assert effective_mode(policy, none, "payments", "production") is AutonomyMode.ASSIST


def test_a_mode_set_from_slack_lowers_but_never_raises() -> None:
    policy = policy_with(mode="limited")
    lowered = FreezeState(mode_caps={"*": AutonomyMode.SHADOW})
    raised = FreezeState(mode_caps={SERVICE: AutonomyMode.MIM})

    assert effective_mode(policy, lowered, SERVICE, "production") is AutonomyMode.SHADOW
    assert effective_mode(policy, raised, SERVICE, "production") is AutonomyMode.LIMITED
    decision = decide(proposal(), incident(), triage(), History(), lowered, policy, NOW)
    assert decision.outcome is Outcome.SHADOW_ONLY


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(
            proposal(),
            incident(),
            triage(),
            History(),
            FreezeState(),
            policy_with(),
            NOW.replace(tzinfo=None),
        )
