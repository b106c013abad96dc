"""What the bot would do with an alert: subject, class, proposals, decisions and gates.

No Slack, no database, no model: the same stages the server runs (normalize, subject,
runbook triage, checks, policy), fed from files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from bot.domain.signals import Signal
from bot.intake.stages.normalize import with_subject
from bot.subjects.rules import SubjectRules
from bot.triage.context import ChangeEvent, build_context
from bot.triage.runbook_triage import triage_by_runbook
from policies.decisions import Decision, GateResult
from policies.engine import decide, decide_major_incident, decide_paging, decide_ticket
from policies.engine_inputs import FreezeState, History, IncidentFacts, IncidentState, Proposal
from policies.policy import Policy
from policies.runbooks import Runbook, runbooks_version


class SubjectView(BaseModel):
    kind: str
    namespace: str | None
    name: str | None
    environment: str
    service: str
    target: str
    derived_from: list[str]


class ProposedView(BaseModel):
    action: str
    target: str
    params: dict[str, str]
    decision: str
    reasons: list[dict[str, str]]
    rationale: str


class GateView(BaseModel):
    outcome: str
    reasons: list[dict[str, str]]


class SignalView(BaseModel):
    source: str
    alertname: str
    status: str
    severity: str
    fingerprint: str
    service: str
    environment: str


class Simulation(BaseModel):
    """One file's verdict; `--json` prints exactly this."""

    file: str
    source: str
    signals: list[SignalView]
    subject: SubjectView
    incident_class: str
    classification: str
    confidence: float
    hypothesis: str
    why: list[str]
    proposed_actions: list[ProposedView]
    not_proposed: list[str]
    gates: dict[str, GateView]
    mode: str
    policy_version: str
    # Signals about other subjects would open incidents of their own.
    other_subjects: list[SubjectView] = []


@dataclass(frozen=True)
class Setup:
    """Everything a simulation decides with."""

    rules: SubjectRules
    policy: Policy
    runbooks: Sequence[Runbook]
    changes: Sequence[tuple[str, ChangeEvent]]
    now: datetime


def simulate(file: str, source: str, raw: Sequence[Signal], setup: Setup) -> Simulation:
    signals = [with_subject(s, setup.rules) for s in raw]
    if not signals:
        raise ValueError("the body holds no alerts")
    primary = signals[0].subject
    assert primary is not None
    mine = [s for s in signals if s.subject == primary]
    others: list[SubjectView] = []
    for signal in signals:
        if signal.subject is not None and signal.subject != primary:
            view = _subject_view(signal)
            if view not in others:
                others.append(view)
    changes = [
        change for service, change in setup.changes if service in {primary.service, primary.name}
    ]
    context = build_context(
        mine,
        service=primary.service,
        environment=primary.environment,
        runbooks=setup.runbooks,
        runbooks_version=runbooks_version(setup.runbooks),
        subject=primary,
        changes=changes,
    )
    checked = triage_by_runbook(context)
    report = checked.report
    facts = IncidentFacts(
        id="simulated",
        service=primary.service,
        environment=primary.environment,
        state=IncidentState.OPEN,
        classification=report.classification,
        signal_count=len({s.fingerprint for s in mine}),
        independent_sources=1,
        incident_class=report.incident_class,
        labels={k: v for s in mine for k, v in s.labels.items()},
        subject=primary,
    )
    history, freeze = History(), FreezeState()
    decisions = [
        decide(
            Proposal.from_triage(p, setup.now),
            facts,
            checked,
            history,
            freeze,
            setup.policy,
            setup.now,
        )
        for p in report.proposed_actions
    ]
    gates = {
        "ticket": decide_ticket(facts, checked, history, freeze, setup.policy, setup.now),
        "paging": decide_paging(facts, checked, history, freeze, setup.policy, setup.now),
        "major_incident": decide_major_incident(
            facts, checked, history, freeze, setup.policy, setup.now
        ),
    }
    match = context.match_for(report.incident_class)
    why = list(match.reasons) if match is not None else ["no runbook matches these signals"]
    why += [f.message for f in checked.flags]
    return Simulation(
        file=file,
        source=source,
        signals=[_signal_view(s) for s in signals],
        subject=_subject_view(mine[0]),
        incident_class=report.incident_class,
        classification=report.classification.value,
        confidence=report.confidence,
        hypothesis=report.hypothesis,
        why=why,
        proposed_actions=[
            _proposed_view(p.rationale, d, {x.name: x.value for x in p.params})
            for p, d in zip(report.proposed_actions, decisions, strict=True)
        ],
        not_proposed=list(report.unknowns) + [d.message for d in checked.dropped_actions],
        gates={name: _gate_view(gate) for name, gate in gates.items()},
        mode=decisions[0].mode.value
        if decisions
        else setup.policy.mode_for(primary.service, primary.environment).value,
        policy_version=setup.policy.version,
        other_subjects=others,
    )


def _subject_view(signal: Signal) -> SubjectView:
    subject = signal.subject
    assert subject is not None
    return SubjectView(
        kind=subject.kind.value,
        namespace=subject.namespace,
        name=subject.name,
        environment=subject.environment,
        service=subject.service,
        target=subject.target,
        derived_from=list(subject.derived_from),
    )


def _signal_view(signal: Signal) -> SignalView:
    return SignalView(
        source=signal.source,
        alertname=signal.alertname,
        status=signal.status.value,
        severity=signal.severity.value,
        fingerprint=signal.fingerprint,
        service=signal.service,
        environment=signal.environment,
    )


def _proposed_view(rationale: str, decision: Decision, params: dict[str, str]) -> ProposedView:
    return ProposedView(
        action=decision.action,
        target=decision.target,
        params=params,
        decision=decision.outcome.value,
        reasons=[r.as_dict() for r in decision.reasons],
        rationale=rationale,
    )


def _gate_view(gate: GateResult) -> GateView:
    return GateView(outcome=gate.outcome.value, reasons=[r.as_dict() for r in gate.reasons])
