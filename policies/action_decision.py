"""The decision on one proposed action: forbidden, escalated, approved by people, or run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.triage import CheckedTriage
from policies.autonomy import (
    breaker_reason,
    budget_reasons,
    effective_mode,
    fallback_reason,
    frozen_reason,
)
from policies.bounds import param_reasons
from policies.catalog import CATALOG, ActionEffect, CatalogAction, subject_problem
from policies.decisions import Decision, Outcome, Reason, ReasonCode, params_hash
from policies.engine_inputs import (
    FreezeState,
    History,
    IncidentFacts,
    Proposal,
    require_aware,
    window_start,
)
from policies.gates import GateCheckFn, GateFacts, paging_check, ticket_check
from policies.policy import Policy
from policies.policy_schema import ActionPolicy, AutonomyMode, RiskClass

# Actions whose own gate decides whether they may happen by themselves.
GATED_ACTIONS: dict[str, GateCheckFn] = {
    "page_oncall": paging_check,
    "create_ticket": ticket_check,
}
# Whoever must look at an escalated change to a system, two look.
ESCALATED_APPROVALS = 2

_WOULD = {
    Outcome.AUTO_EXECUTE: "run by itself",
    Outcome.NEEDS_APPROVAL: "sent for approval",
    Outcome.NEEDS_TWO_APPROVALS: "sent for two approvals",
    Outcome.FORBIDDEN: "forbidden",
    Outcome.ESCALATE: "escalated to humans",
    Outcome.SHADOW_ONLY: "recorded only",
}


@dataclass(frozen=True, slots=True)
class _Facts:
    proposal: Proposal
    incident: IncidentFacts
    triage: CheckedTriage
    history: History
    freeze: FreezeState
    policy: Policy
    now: datetime
    params_hash: str

    def gate_facts(self) -> GateFacts:
        return GateFacts(self.incident, self.triage, self.history, self.policy, self.now)


@dataclass(frozen=True, slots=True)
class _Verdict:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    approvals: int


def decide(
    proposal: Proposal,
    incident: IncidentFacts,
    triage: CheckedTriage,
    history: History,
    freeze: FreezeState,
    policy: Policy,
    now: datetime,
) -> Decision:
    """What happens to one proposed action under `policy` at `now`, with every reason."""
    hashed = params_hash(proposal.action, proposal.target, proposal.params)
    facts = _Facts(proposal, incident, triage, history, freeze, policy, now, hashed)
    require_aware(now, "now")
    mode = effective_mode(policy, freeze, incident.service, incident.environment)
    imagined = policy.rules.autonomy.shadow_as if mode is AutonomyMode.SHADOW else mode
    verdict = _evaluate(facts, imagined)
    remembered = _remembered(facts, CATALOG.get(proposal.action))
    if remembered is not None and remembered not in verdict.reasons:
        # Whatever else holds the action back, the card says what happened last time.
        verdict = _Verdict(verdict.outcome, (*verdict.reasons, remembered), verdict.approvals)
    shadowed = None
    if mode is AutonomyMode.SHADOW:
        shadowed = verdict.outcome
        note = Reason(
            ReasonCode.SHADOW_MODE,
            f"Shadow mode: nothing runs; in {imagined} mode this would have been"
            f" {_WOULD[verdict.outcome]}.",
        )
        verdict = _Verdict(Outcome.SHADOW_ONLY, (note, *verdict.reasons), 0)
    reasons = verdict.reasons
    fallback = fallback_reason(policy)
    if fallback is not None:
        reasons = (*reasons, fallback)
    entry = policy.action(proposal.action)
    return Decision(
        action=proposal.action,
        target=proposal.target,
        outcome=verdict.outcome,
        reasons=reasons,
        policy_version=policy.version,
        risk=entry.risk if entry is not None else RiskClass.HUMAN_ONLY,
        approvals_needed=verdict.approvals,
        params_hash=hashed,
        mode=mode,
        expires_at=proposal.proposed_at
        + timedelta(minutes=policy.rules.limits.proposal_expiry_minutes),
        adapter=entry.adapter if entry is not None else None,
        shadowed_outcome=shadowed,
    )


def _evaluate(facts: _Facts, mode: AutonomyMode) -> _Verdict:
    spec = CATALOG.get(facts.proposal.action)
    entry = facts.policy.action(facts.proposal.action)
    if spec is None or entry is None:
        name = facts.proposal.action[:64]
        unknown = Reason(ReasonCode.NOT_IN_CATALOG, f"{name!r} is not a catalog action.")
        return _Verdict(Outcome.FORBIDDEN, (unknown,), 0)
    forbidden = _forbidden(facts, spec, entry)
    if forbidden:
        return _Verdict(Outcome.FORBIDDEN, tuple(forbidden), 0)

    approvals = facts.policy.rules.approvals_for(spec.name)
    risk = _risk_reasons(spec, entry, approvals)
    touches = spec.effect is not ActionEffect.HUMAN
    escalated = ESCALATED_APPROVALS if touches else approvals
    escalations = _escalations(facts, spec)
    if escalations:
        return _Verdict(Outcome.ESCALATE, (*escalations, *risk), max(approvals, escalated))
    if approvals == 2:
        return _Verdict(Outcome.NEEDS_TWO_APPROVALS, tuple(risk), 2)
    if mode is AutonomyMode.ASSIST:
        assist = Reason(ReasonCode.ASSIST_MODE, "Assist mode: every action needs approval.")
        return _Verdict(Outcome.NEEDS_APPROVAL, (assist,), 1)
    if entry.risk is not RiskClass.SAFE or not entry.reversible:
        return _Verdict(Outcome.NEEDS_APPROVAL, (_not_autonomous(spec, entry, mode),), 1)
    met = ""
    gate = GATED_ACTIONS.get(spec.name)
    if gate is not None:
        check = gate(facts.gate_facts(), mode)
        if check.failed:
            return _Verdict(Outcome.NEEDS_APPROVAL, check.failed, 1)
        met = f" {check.met}"
    return _autonomous(facts, spec, mode, met, escalated)


def _forbidden(facts: _Facts, spec: CatalogAction, entry: ActionPolicy) -> list[Reason]:
    reasons: list[Reason] = []
    if not entry.enabled:
        reasons.append(Reason(ReasonCode.ACTION_DISABLED, f"The policy disables {spec.name}."))
    scope = facts.incident.target
    if facts.proposal.target != scope:
        reasons.append(
            Reason(
                ReasonCode.TARGET_OUT_OF_SCOPE,
                f"{spec.name} targets {facts.proposal.target[:80]!r}, outside this incident's"
                f" {scope!r}.",
            )
        )
    if facts.incident.subject is not None:
        problem = subject_problem(spec, facts.incident.subject)
        if problem is not None:
            reasons.append(Reason(ReasonCode.TARGET_OUT_OF_SCOPE, f"{problem}."))
    reasons.extend(param_reasons(spec, entry, facts.proposal.params))
    if not facts.incident.is_open:
        reasons.append(Reason(ReasonCode.INCIDENT_CLOSED, "The incident is no longer open."))
    return reasons


def _risk_reasons(spec: CatalogAction, entry: ActionPolicy, approvals: int) -> list[Reason]:
    if entry.risk is RiskClass.HUMAN_ONLY:
        text = f"{spec.name} is human_only: two different people must approve it."
        return [Reason(ReasonCode.HUMAN_ONLY_RISK, text)]
    if approvals == 2:
        why = "marked high risk" if entry.two_approvers else "an irreversible change to a system"
        text = f"{spec.name} is {why}: two different people must approve it."
        return [Reason(ReasonCode.HIGH_RISK, text)]
    return []


def _escalations(facts: _Facts, spec: CatalogAction) -> list[Reason]:
    rules = facts.policy.rules
    touches = spec.effect is not ActionEffect.HUMAN
    reasons: list[Reason] = []
    confidence = facts.triage.report.confidence
    if touches and confidence < rules.thresholds.action_confidence:
        reasons.append(
            Reason(
                ReasonCode.LOW_CONFIDENCE,
                f"Confidence {confidence:.2f} is below {rules.thresholds.action_confidence:.2f};"
                " people should judge before anything changes.",
            )
        )
    contradicting = set(rules.escalation.contradicting_flags)
    found = sorted({f.code.value for f in facts.triage.flags if f.code in contradicting})
    if touches and found:
        reasons.append(
            Reason(
                ReasonCode.EVIDENCE_CONTRADICTS,
                f"The evidence contradicts the triage ({', '.join(found)}).",
            )
        )
    if facts.history.failed(spec.name, facts.params_hash):
        reasons.append(
            Reason(
                ReasonCode.ACTION_FAILED_BEFORE,
                f"{spec.name} with these parameters already failed for this incident;"
                " it is not repeated without people.",
            )
        )
    domain = _sensitive_domain(facts)
    if touches and domain is not None:
        reasons.append(
            Reason(
                ReasonCode.SENSITIVE_DOMAIN,
                f"The incident touches {domain}; only people change systems here.",
            )
        )
    return reasons


def _sensitive_domain(facts: _Facts) -> str | None:
    sensitive = facts.policy.rules.escalation.sensitive
    classes = {_fold(c) for c in sensitive.incident_classes}
    for claimed in (facts.incident.incident_class, facts.triage.report.incident_class):
        if _fold(claimed) in classes:
            return f"incident class {claimed}"
    for label, values in sensitive.labels.items():
        value = facts.incident.labels.get(label)
        if value is not None and _fold(value) in {_fold(v) for v in values}:
            return f"{label}={value[:64]}"
    return None


def _fold(text: str) -> str:
    return "_".join(text.strip().casefold().replace("-", " ").split())


def _not_autonomous(spec: CatalogAction, entry: ActionPolicy, mode: AutonomyMode) -> Reason:
    traits = f"{entry.risk}, {'reversible' if entry.reversible else 'not reversible'}"
    return Reason(
        ReasonCode.NOT_SAFE_AND_REVERSIBLE,
        f"{mode.capitalize()} mode runs only safe, reversible actions by itself;"
        f" {spec.name} is {traits}.",
    )


def _remembered(facts: _Facts, spec: CatalogAction | None) -> Reason | None:
    """Outcome memory: what did not work for this subject and class waits for a person."""
    subject = facts.incident.subject
    if subject is None or spec is None or spec.effect is not ActionEffect.REMEDIATION:
        return None
    days = facts.policy.rules.limits.failed_action_memory_days
    miss = facts.history.failed_before(
        spec.name,
        subject.key,
        facts.incident.incident_class,
        facts.now - timedelta(days=days),
    )
    if miss is None:
        return None
    ago = _ago(facts.now - miss.at)
    return Reason(
        ReasonCode.FAILED_FOR_SUBJECT,
        f"{spec.name} was {miss.outcome} on #{miss.incident_id}, {ago} ago, for"
        f" {subject.describe()}; it does not run by itself again within {days} days.",
    )


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def _autonomous(
    facts: _Facts, spec: CatalogAction, mode: AutonomyMode, met: str, escalated: int
) -> _Verdict:
    now = facts.now
    service = facts.incident.service
    frozen = frozen_reason(facts.freeze, service, now, spec.name)
    broad = [r for r in [breaker_reason(facts.history, facts.policy, now)] if r is not None]
    if spec.effect is ActionEffect.REMEDIATION:
        broad.extend(budget_reasons(facts.history, facts.policy, service, now))
    duplicate = None
    window = facts.policy.rules.limits.duplicate_window_minutes
    if facts.history.ran_since(facts.params_hash, window_start(now, window)):
        duplicate = Reason(
            ReasonCode.DUPLICATE_SUPPRESSED,
            f"{spec.name} with these parameters already ran for this incident in the last"
            f" {window} min; running it again needs a person.",
        )
    remembered = _remembered(facts, spec)
    held = [r for r in (frozen, duplicate, remembered) if r is not None]
    if broad:
        return _Verdict(Outcome.ESCALATE, (*broad, *held), escalated)
    if held:
        return _Verdict(Outcome.NEEDS_APPROVAL, tuple(held), 1)
    text = f"{mode.capitalize()} mode runs safe, reversible actions like {spec.name} by itself."
    return _Verdict(Outcome.AUTO_EXECUTE, (Reason(ReasonCode.AUTONOMOUS, text + met),), 0)
