"""The ticket, paging and major-incident gates: automatic only when every threshold holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.triage import CheckedTriage, Classification
from policies.autonomy import (
    breaker_reason,
    effective_mode,
    fallback_reason,
    frozen_reason,
    settled_classification,
)
from policies.decisions import GateOutcome, GateResult, Reason, ReasonCode
from policies.engine_inputs import FreezeState, History, IncidentFacts, window_start
from policies.policy import Policy
from policies.policy_schema import AutonomyMode

TICKET = "ticket"
PAGING = "paging"
MAJOR_INCIDENT = "major_incident"

# The least mode in which each gate may act by itself.
GATE_MODES: dict[str, AutonomyMode] = {
    TICKET: AutonomyMode.LIMITED,
    PAGING: AutonomyMode.PAGING,
    MAJOR_INCIDENT: AutonomyMode.MIM,
}
_WHAT = {TICKET: "filing a ticket", PAGING: "paging", MAJOR_INCIDENT: "declaring a major incident"}


@dataclass(frozen=True, slots=True)
class GateFacts:
    """Everything a gate looks at."""

    incident: IncidentFacts
    triage: CheckedTriage
    history: History
    policy: Policy
    now: datetime

    @property
    def confidence(self) -> float:
        return self.triage.report.confidence

    @property
    def classification(self) -> Classification:
        return settled_classification(self.incident, self.triage)


@dataclass(frozen=True, slots=True)
class GateCheck:
    """The gate's own conditions: those that failed, and a summary when all held."""

    failed: tuple[Reason, ...]
    met: str


def ticket_check(facts: GateFacts, mode: AutonomyMode) -> GateCheck:
    """Ticket: confidence high enough, a production environment, a mode that files tickets."""
    gate = facts.policy.rules.thresholds.ticket
    failed = list(_mode_reasons(TICKET, mode))
    if facts.confidence < gate.min_confidence:
        failed.append(_below(facts.confidence, gate.min_confidence, "a ticket"))
    if facts.incident.environment not in gate.environments:
        failed.append(
            Reason(
                ReasonCode.NOT_PRODUCTION,
                f"{facts.incident.environment!r} is not a production environment"
                f" ({', '.join(gate.environments)}).",
            )
        )
    cap = gate.limited_mode_max_classification
    if mode is AutonomyMode.LIMITED and facts.classification.rank > cap.rank:
        failed.append(
            Reason(
                ReasonCode.CLASSIFICATION_ABOVE_MODE,
                f"Limited mode files tickets up to {cap} by itself; this one is"
                f" {facts.classification}.",
            )
        )
    met = (
        f"Confidence {facts.confidence:.2f} ≥ {gate.min_confidence:.2f} in"
        f" {facts.incident.environment}."
    )
    return GateCheck(tuple(failed), met)


def paging_check(facts: GateFacts, mode: AutonomyMode) -> GateCheck:
    """Paging: classification and confidence high enough, and the paging rate not reached."""
    gate = facts.policy.rules.thresholds.paging
    rate = facts.policy.rules.limits.paging_rate
    failed = list(_mode_reasons(PAGING, mode))
    if facts.classification.rank < gate.min_classification.rank:
        failed.append(
            Reason(
                ReasonCode.CLASSIFICATION_TOO_LOW,
                f"Classification {facts.classification} is below {gate.min_classification}.",
            )
        )
    if facts.confidence < gate.min_confidence:
        failed.append(_below(facts.confidence, gate.min_confidence, "a page"))
    sent = facts.history.pages_since(window_start(facts.now, rate.window_minutes))
    if sent >= rate.pages:
        failed.append(
            Reason(
                ReasonCode.PAGING_RATE_LIMITED,
                f"{sent} page(s) went out in the last {rate.window_minutes} min"
                f" (limit {rate.pages}).",
            )
        )
    met = (
        f"Classification {facts.classification} ≥ {gate.min_classification}, confidence"
        f" {facts.confidence:.2f} ≥ {gate.min_confidence:.2f}, {sent} of {rate.pages} pages used."
    )
    return GateCheck(tuple(failed), met)


def major_incident_check(facts: GateFacts, mode: AutonomyMode) -> GateCheck:
    """Major incident: sev1, confidence high enough, and independent sources confirm impact."""
    gate = facts.policy.rules.thresholds.major_incident
    failed = list(_mode_reasons(MAJOR_INCIDENT, mode))
    if facts.classification is not Classification.SEV1:
        failed.append(
            Reason(
                ReasonCode.CLASSIFICATION_TOO_LOW,
                f"Classification {facts.classification} is not sev1.",
            )
        )
    if facts.confidence < gate.min_confidence:
        failed.append(_below(facts.confidence, gate.min_confidence, "a major incident"))
    sources = facts.incident.independent_sources
    if sources < gate.min_independent_sources:
        failed.append(
            Reason(
                ReasonCode.TOO_FEW_SOURCES,
                f"{sources} independent source(s) confirm impact; {gate.min_independent_sources}"
                " are needed.",
            )
        )
    met = (
        f"sev1, confidence {facts.confidence:.2f} ≥ {gate.min_confidence:.2f},"
        f" {sources} independent sources confirm impact."
    )
    return GateCheck(tuple(failed), met)


GateCheckFn = Callable[[GateFacts, AutonomyMode], GateCheck]


def decide_ticket(
    incident: IncidentFacts,
    triage: CheckedTriage,
    history: History,
    freeze: FreezeState,
    policy: Policy,
    now: datetime,
) -> GateResult:
    """Whether a ticket is filed by itself; otherwise a human reviews the draft."""
    return _gate(TICKET, ticket_check, GateFacts(incident, triage, history, policy, now), freeze)


def decide_paging(
    incident: IncidentFacts,
    triage: CheckedTriage,
    history: History,
    freeze: FreezeState,
    policy: Policy,
    now: datetime,
) -> GateResult:
    """Whether on-call is paged by itself; otherwise a human decides."""
    return _gate(PAGING, paging_check, GateFacts(incident, triage, history, policy, now), freeze)


def decide_major_incident(
    incident: IncidentFacts,
    triage: CheckedTriage,
    history: History,
    freeze: FreezeState,
    policy: Policy,
    now: datetime,
) -> GateResult:
    """Whether major-incident automation starts by itself; otherwise a human decides."""
    facts = GateFacts(incident, triage, history, policy, now)
    return _gate(MAJOR_INCIDENT, major_incident_check, facts, freeze)


def _gate(name: str, check: GateCheckFn, facts: GateFacts, freeze: FreezeState) -> GateResult:
    policy = facts.policy
    mode = effective_mode(policy, freeze, facts.incident.service, facts.incident.environment)
    imagined = policy.rules.autonomy.shadow_as if mode is AutonomyMode.SHADOW else mode
    outcome, reasons = _evaluate(name, check, facts, freeze, imagined)
    shadowed = None
    if mode is AutonomyMode.SHADOW:
        shadowed = outcome
        would = (
            "would have happened by itself"
            if outcome is GateOutcome.AUTOMATIC
            else ("would have gone to human review")
        )
        note = Reason(
            ReasonCode.SHADOW_MODE,
            f"Shadow mode: nothing happens; in {imagined} mode {_WHAT[name]} {would}.",
        )
        outcome, reasons = GateOutcome.SHADOW_ONLY, [note, *reasons]
    fallback = fallback_reason(policy)
    if fallback is not None:
        reasons.append(fallback)
    return GateResult(
        gate=name,
        outcome=outcome,
        reasons=tuple(reasons),
        policy_version=policy.version,
        mode=mode,
        shadowed_outcome=shadowed,
    )


def _evaluate(
    name: str, check: GateCheckFn, facts: GateFacts, freeze: FreezeState, mode: AutonomyMode
) -> tuple[GateOutcome, list[Reason]]:
    if not facts.incident.is_open:
        closed = Reason(ReasonCode.INCIDENT_CLOSED, "The incident is no longer open.")
        return GateOutcome.HUMAN_REVIEW, [closed]
    result = check(facts, mode)
    if result.failed:
        return GateOutcome.HUMAN_REVIEW, list(result.failed)
    blockers = [
        frozen_reason(freeze, facts.incident.service, facts.now, _WHAT[name]),
        breaker_reason(facts.history, facts.policy, facts.now),
    ]
    stopped = [b for b in blockers if b is not None]
    if stopped:
        return GateOutcome.HUMAN_REVIEW, stopped
    return GateOutcome.AUTOMATIC, [Reason(ReasonCode.THRESHOLDS_MET, result.met)]


def _mode_reasons(name: str, mode: AutonomyMode) -> list[Reason]:
    needed = GATE_MODES[name]
    if mode.reaches(needed):
        return []
    if mode is AutonomyMode.ASSIST:
        return [Reason(ReasonCode.ASSIST_MODE, f"Assist mode: {_WHAT[name]} needs a person.")]
    return [
        Reason(
            ReasonCode.MODE_TOO_LOW,
            f"{mode.capitalize()} mode does not allow {_WHAT[name]} by itself; {needed} mode does.",
        )
    ]


def _below(confidence: float, needed: float, what: str) -> Reason:
    return Reason(
        ReasonCode.BELOW_GATE_CONFIDENCE,
        f"Confidence {confidence:.2f} is below the {needed:.2f} needed for {what}.",
    )
