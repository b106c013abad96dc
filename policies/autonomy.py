"""What limits autonomy at a moment: the mode in force, freezes, breaker and budgets."""

from __future__ import annotations

from datetime import datetime

from bot.domain.triage import CheckedTriage, Classification
from policies.decisions import Reason, ReasonCode
from policies.engine_inputs import FreezeState, History, IncidentFacts, window_start
from policies.policy import Policy
from policies.policy_schema import AutonomyMode

MODE_WORDS: dict[AutonomyMode, str] = {
    AutonomyMode.SHADOW: "recommend only; nothing runs, and what would have run is recorded",
    AutonomyMode.ASSIST: "every action needs approval; nothing runs by itself",
    AutonomyMode.LIMITED: (
        "safe, reversible actions run by themselves; others need approval;"
        " tickets are filed by themselves"
    ),
    AutonomyMode.PAGING: "limited, plus automatic paging at high confidence",
    AutonomyMode.MIM: "paging, plus major-incident automation gated on independent signals",
}


def effective_mode(
    policy: Policy, freeze: FreezeState, service: str, environment: str
) -> AutonomyMode:
    """The file's mode for the service, lowered by any cap set from Slack."""
    mode = policy.mode_for(service, environment)
    cap = freeze.cap_for(service)
    return cap if cap is not None and cap.rank < mode.rank else mode


def settled_classification(incident: IncidentFacts, triage: CheckedTriage) -> Classification:
    """The lower of the incident's and the triage's classification, the cautious one."""
    reported = triage.report.classification
    return min(incident.classification, reported, key=lambda c: c.rank)


def frozen_reason(freeze: FreezeState, service: str, now: datetime, would: str) -> Reason | None:
    """FROZEN when a freeze holds for the service, saying what it stops."""
    held = freeze.freeze_for(service, now)
    if held is None:
        return None
    scope = "all services" if held is freeze.fleet else service
    until = f" until {held.until.isoformat()}" if held.until is not None else ""
    why = f": {held.reason}" if held.reason else ""
    return Reason(
        ReasonCode.FROZEN,
        f"Autonomy is frozen for {scope}{until}{why}; {would} needs a human instead.",
    )


def breaker_reason(history: History, policy: Policy, now: datetime) -> Reason | None:
    """CIRCUIT_BREAKER_OPEN while too many services alert at once."""
    breaker = policy.rules.limits.circuit_breaker
    alerting = history.services_alerting_since(window_start(now, breaker.window_minutes))
    if len(alerting) < breaker.services:
        return None
    return Reason(
        ReasonCode.CIRCUIT_BREAKER_OPEN,
        f"{len(alerting)} services alerted in the last {breaker.window_minutes} min"
        f" (breaker opens at {breaker.services}); autonomy stops during a widespread failure.",
    )


def budget_reasons(history: History, policy: Policy, service: str, now: datetime) -> list[Reason]:
    """Blast-radius budgets of autonomous remediations that are used up."""
    budget = policy.rules.limits.blast_radius
    since = window_start(now, budget.window_minutes)
    reasons = []
    used = history.runs_since(since, service)
    if used >= budget.per_service:
        reasons.append(
            Reason(
                ReasonCode.SERVICE_BUDGET_EXHAUSTED,
                f"{service} already had {used} autonomous action(s) in the last"
                f" {budget.window_minutes} min (budget {budget.per_service}).",
            )
        )
    fleet = history.runs_since(since)
    if fleet >= budget.fleet:
        reasons.append(
            Reason(
                ReasonCode.FLEET_BUDGET_EXHAUSTED,
                f"The fleet already had {fleet} autonomous action(s) in the last"
                f" {budget.window_minutes} min (budget {budget.fleet}).",
            )
        )
    return reasons


def fallback_reason(policy: Policy) -> Reason | None:
    """POLICY_FALLBACK when the policy in force is the fallback."""
    if policy.fallback_reason is None:
        return None
    return Reason(
        ReasonCode.POLICY_FALLBACK,
        f"The policy file is invalid ({policy.fallback_reason}); the safe fallback decided.",
    )
