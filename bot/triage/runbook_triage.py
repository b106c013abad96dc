"""The embedded triage: a deterministic report from runbooks and context alone."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.signals import Signal, SignalStatus
from bot.triage.checks import check_triage
from bot.triage.context import ChangeEvent, TriageContext, runbook_pointer, signal_pointer
from bot.triage.models import (
    MAX_ACTIONS,
    MAX_CLAIM,
    MAX_EVIDENCE,
    MAX_HYPOTHESIS,
    MAX_POINTER,
    MAX_TARGET,
    MAX_UNKNOWN,
    MAX_UNKNOWNS,
    ActionParam,
    CheckedTriage,
    Classification,
    Evidence,
    EvidenceSource,
    FallbackReason,
    ProposedAction,
    Provenance,
    TriageReport,
)
from policies.catalog import CATALOG, subject_problem
from policies.runbooks import (
    UNKNOWN_CLASS,
    EvidenceKind,
    EvidenceSpec,
    Runbook,
    RunbookAction,
    RunbookMatch,
    classification_for,
)

DEFAULT_TEAM = "sre"
# Rules cannot see what a model or a person could; they never claim near-certainty.
MAX_RUNBOOK_CONFIDENCE = 0.9
UNKNOWN_CONFIDENCE = 0.1
MATCH_WEIGHT = 0.5
EVIDENCE_WEIGHT = 0.35
COVERAGE_WEIGHT = 0.15
_SIGNAL_EVIDENCE = 3
# Outcome memory: what verifiably worked for this subject and class before lends a little
# confidence; what failed takes much more away.
VERIFIED_BONUS = 0.05
VERIFIED_BONUS_CAP = 0.1
FAILED_PENALTY = 0.2
FAILED_PENALTY_CAP = 0.4


def runbook_triage(context: TriageContext) -> TriageReport:
    """Triage by the best-matching runbook; the same context always gives the same report.

    Confidence = min(0.9, 0.5 * m + 0.35 * e + 0.15 * c), rounded to two decimals, where
    m is the runbook's match score (0..1, see match_runbooks), e the share of the
    runbook's required evidence found in the context (1 when it requires none), and c
    the share of firing signals the runbook matched. With no matching runbook the
    report names the class unknown, proposes only escalation, and confidence is 0.1.
    """
    match = _primary(context.runbook_matches)
    if match is None:
        return _unknown(context)
    runbook = match.runbook
    matched = _ordered([s for s in context.signals if s.fingerprint in match.fingerprints])
    found, missing = _gather(runbook, context, matched)
    classification, paging, mim = _escalate(runbook, context, matched)
    actions, skipped = _propose(runbook, context, matched, found)

    required = len(runbook.evidence)
    evidence_share = (required - len(missing)) / required if required else 1.0
    firing = context.firing
    coverage = (
        sum(1 for s in firing if s.fingerprint in match.fingerprints) / len(firing)
        if firing
        else 0.0
    )
    remembered, history_notes = _outcome_shift(runbook, context, actions)
    confidence = max(
        0.0,
        min(
            MAX_RUNBOOK_CONFIDENCE,
            MATCH_WEIGHT * match.score
            + EVIDENCE_WEIGHT * evidence_share
            + COVERAGE_WEIGHT * coverage
            + remembered,
        ),
    )

    evidence = _signal_evidence(matched)
    evidence.append(
        Evidence(
            source=EvidenceSource.RUNBOOK,
            claim=_clip(f"Matches runbook {runbook.name}: {'; '.join(match.reasons)}", MAX_CLAIM),
            pointer=runbook_pointer(runbook.name),
        )
    )
    evidence.extend(found.values())
    unknowns = history_notes + [f"Not found: {spec.description}" for spec in missing] + skipped
    first = matched[0] if matched else None
    return TriageReport(
        classification=classification,
        confidence=round(confidence, 2),
        requires_ticket=runbook.ticket,
        requires_paging=paging,
        requires_mim=mim,
        recommended_team=runbook.team,
        incident_class=runbook.name,
        hypothesis=_clip(
            runbook.render_hypothesis(
                context.service,
                context.environment,
                first.alertname if first else runbook.title,
            ),
            MAX_HYPOTHESIS,
        ),
        evidence=evidence[:MAX_EVIDENCE],
        unknowns=[_clip(u, MAX_UNKNOWN) for u in unknowns[:MAX_UNKNOWNS]],
        proposed_actions=actions,
    )


def _outcome_shift(
    runbook: Runbook, context: TriageContext, actions: list[ProposedAction]
) -> tuple[float, list[str]]:
    """Confidence moves with how the proposed remedies ended for this subject before:
    up a little for each verified fix, down hard for each failure. Returns the shift and
    a line per remembered outcome for the card."""
    proposed = {a.action for a in actions}
    relevant = [
        o for o in context.outcomes if o.action in proposed and o.incident_class == runbook.name
    ]
    worked = sum(1 for o in relevant if o.succeeded)
    missed = [o for o in relevant if not o.succeeded]
    shift = min(VERIFIED_BONUS_CAP, VERIFIED_BONUS * worked) - min(
        FAILED_PENALTY_CAP, FAILED_PENALTY * len(missed)
    )
    notes = [
        f"Before: {o.action} was {o.outcome} on #{o.incident_id} ({o.at:%Y-%m-%d %H:%M} UTC)."
        for o in sorted(relevant, key=lambda o: o.at, reverse=True)[:3]
    ]
    return shift, notes


def triage_by_runbook(
    context: TriageContext, fallback_reason: FallbackReason | None = None
) -> CheckedTriage:
    """The runbook triage, through the same checks as any other triage."""
    report = runbook_triage(context)
    return check_triage(report, context, Provenance.runbook(report, fallback_reason))


def _primary(matches: tuple[RunbookMatch, ...]) -> RunbookMatch | None:
    # A human-only runbook wins whenever it matches at all: failing closed beats a
    # stronger match that would allow automation.
    human_only = [m for m in matches if m.runbook.human_only]
    if human_only:
        return human_only[0]
    return matches[0] if matches else None


def _ordered(signals: list[Signal]) -> list[Signal]:
    return sorted(
        signals,
        key=lambda s: (
            s.status is not SignalStatus.FIRING,
            -s.severity.rank,
            s.starts_at,
            s.fingerprint,
        ),
    )


def _gather(
    runbook: Runbook, context: TriageContext, matched: list[Signal]
) -> tuple[dict[str, Evidence], list[EvidenceSpec]]:
    found: dict[str, Evidence] = {}
    missing: list[EvidenceSpec] = []
    for spec in runbook.evidence:
        item = _look_for(spec, runbook, context, matched)
        if item is None:
            missing.append(spec)
        else:
            found[spec.id] = item
    return found, missing


def _look_for(
    spec: EvidenceSpec, runbook: Runbook, context: TriageContext, matched: list[Signal]
) -> Evidence | None:
    if spec.kind in (EvidenceKind.LABEL, EvidenceKind.ANNOTATION):
        part = "labels" if spec.kind is EvidenceKind.LABEL else "annotations"
        for signal in matched:
            values = signal.labels if spec.kind is EvidenceKind.LABEL else signal.annotations
            if values.get(spec.key):
                return _cite(
                    EvidenceSource.SIGNAL,
                    f"{spec.description.rstrip('.')}: {spec.key}={values[spec.key]!r}",
                    f"{signal_pointer(signal)}/{part}/{spec.key}",
                )
        return None
    if spec.kind is EvidenceKind.CHANGE:
        change = _recent_change(runbook, context, matched, spec.key)
        if change is None:
            return None
        subject = f" ({change.subject})" if change.subject else ""
        return _cite(
            EvidenceSource.CHANGE,
            f"{change.kind} change at {change.at.isoformat()}{subject}: {change.description}",
            change.pointer,
        )
    # A past incident is evidence for a remedy only if an action verifiably fixed it.
    incident = next((p for p in context.past_incidents if p.verified), None)
    if incident is None:
        return None
    return _cite(
        EvidenceSource.PAST_INCIDENT,
        f"Similar: {incident.title}; resolved by: {incident.resolution}",
        incident.pointer,
    )


def _recent_change(
    runbook: Runbook, context: TriageContext, matched: list[Signal], kind: str
) -> ChangeEvent | None:
    if not matched:
        return None
    onset = min(s.starts_at for s in matched)
    earliest = onset - timedelta(minutes=runbook.change_window_minutes)
    # A change after the alert began cannot have caused it.
    candidates = [c for c in context.changes if c.kind == kind and earliest <= c.at <= onset]
    return max(candidates, key=lambda c: (c.at, c.pointer), default=None)


def _escalate(
    runbook: Runbook, context: TriageContext, matched: list[Signal]
) -> tuple[Classification, bool, bool]:
    classification, paging, mim = runbook.classification, runbook.page, runbook.mim
    firing = [s for s in matched if s.status is SignalStatus.FIRING]
    if not firing:
        return classification, paging, mim
    top = max(s.severity.rank for s in firing)
    environment = context.environment.casefold()
    for rule in runbook.escalations:
        when = rule.when
        if when.severity_at_least is not None and top < when.severity_at_least.rank:
            continue
        if when.min_signals is not None and len(firing) < when.min_signals:
            continue
        if when.environments and environment not in {e.casefold() for e in when.environments}:
            continue
        if rule.classification is not None and rule.classification.rank > classification.rank:
            classification = rule.classification
        paging = paging or rule.page
        mim = mim or rule.mim
    return classification, paging, mim


def _propose(
    runbook: Runbook,
    context: TriageContext,
    matched: list[Signal],
    found: dict[str, Evidence],
) -> tuple[list[ProposedAction], list[str]]:
    actions: list[ProposedAction] = []
    skipped: list[str] = []
    if len(context.scope) > MAX_TARGET:
        return [], [f"No action proposed: the scope {context.scope[:60]!r}… is too long to name"]
    unfit = False
    for entry in runbook.actions:
        if not entry.propose:
            continue
        if context.subject is not None:
            problem = subject_problem(CATALOG[entry.action], context.subject)
            if problem is None and entry.subjects and context.subject.kind not in entry.subjects:
                kinds = ", ".join(k.value for k in entry.subjects)
                problem = (
                    f"the runbook proposes it for a {kinds} only;"
                    f" the subject is {context.subject.describe()}"
                )
            if problem is not None:
                skipped.append(f"{entry.action} not proposed: {problem}")
                unfit = True
                continue
        absent = [n for n in entry.needs if n not in found]
        if absent:
            skipped.append(f"{entry.action} not proposed: missing evidence {', '.join(absent)}")
            continue
        params, problem = _resolve_params(entry, runbook, context, matched)
        if problem is not None:
            skipped.append(f"{entry.action} not proposed: {problem}")
            continue
        actions.append(
            ProposedAction(
                action=entry.action,
                target=context.scope,
                params=params,
                rationale=entry.rationale,
            )
        )
    if unfit:
        actions.extend(_instead(runbook, context, actions))
    return actions[:MAX_ACTIONS], skipped


_INSTEAD = (
    ("collect_diagnostics", "Gather what the subject's state shows before a responder decides."),
    ("escalate_to_human", "The runbook's remedy does not fit this subject; a responder decides."),
)


def _instead(
    runbook: Runbook, context: TriageContext, proposed: list[ProposedAction]
) -> list[ProposedAction]:
    """Diagnostics and escalation, when the runbook's remedy cannot act on the subject."""
    have = {a.action for a in proposed}
    allowed = {a.action for a in runbook.actions}
    extra: list[ProposedAction] = []
    for name, rationale in _INSTEAD:
        if name in have or name not in allowed:
            continue
        if context.subject is not None and subject_problem(CATALOG[name], context.subject):
            continue
        extra.append(
            ProposedAction(action=name, target=context.scope, params=[], rationale=rationale)
        )
    return extra


def _resolve_params(
    entry: RunbookAction, runbook: Runbook, context: TriageContext, matched: list[Signal]
) -> tuple[list[ActionParam], str | None]:
    spec = CATALOG[entry.action]
    params: list[ActionParam] = []
    for name, template in sorted(entry.params.items()):
        value = _fill(template, runbook, context, matched)
        if value is None:
            return [], f"no value for {name}"
        param = spec.param(name)
        if param is not None and param.problem(value) is not None:
            return [], f"the value found for {name} is not acceptable"
        params.append(ActionParam(name=name, value=value))
    return params, None


def _fill(
    template: str, runbook: Runbook, context: TriageContext, matched: list[Signal]
) -> str | None:
    if not template.startswith("{"):
        return template
    for choice in template[1:-1].split("|"):
        source, _, key = choice.partition(":")
        if source == "service":
            return context.service
        if source == "environment":
            return context.environment
        if source == "label":
            value = next((s.labels[key] for s in matched if s.labels.get(key)), None)
        else:
            change = _recent_change(runbook, context, matched, key)
            value = change.subject if change is not None and change.subject else None
        if value is not None:
            return value
    return None


def _unknown(context: TriageContext) -> TriageReport:
    ordered = _ordered(list(context.signals))
    firing = [s for s in ordered if s.status is SignalStatus.FIRING]
    basis = firing or ordered
    classification = classification_for(basis[0].severity) if basis else Classification.LOW
    alertname = basis[0].alertname if basis else "the alert"
    return TriageReport(
        classification=classification,
        confidence=UNKNOWN_CONFIDENCE,
        requires_ticket=True,
        requires_paging=classification.rank >= Classification.HIGH.rank and bool(firing),
        requires_mim=False,
        recommended_team=DEFAULT_TEAM,
        incident_class=UNKNOWN_CLASS,
        hypothesis=_clip(
            f"No runbook matches {alertname} on {context.service} in {context.environment};"
            " the cause is unknown.",
            MAX_HYPOTHESIS,
        ),
        evidence=_signal_evidence(ordered),
        unknowns=["No runbook matches these signals."],
        proposed_actions=[
            ProposedAction(
                action="escalate_to_human",
                target=context.scope,
                params=[],
                rationale="No runbook covers this incident; a responder decides what to do.",
            )
        ]
        if len(context.scope) <= MAX_TARGET
        else [],
    )


def _signal_evidence(signals: list[Signal]) -> list[Evidence]:
    cited = (
        _cite(
            EvidenceSource.SIGNAL,
            f"{s.alertname} is {s.status} with severity {s.severity}: {s.summary}",
            signal_pointer(s),
        )
        for s in signals
    )
    return [e for e in cited if e is not None][:_SIGNAL_EVIDENCE]


def _cite(source: EvidenceSource, claim: str, pointer: str) -> Evidence | None:
    # A clipped pointer would cite nothing, so an overlong one is not cited at all.
    if not pointer or len(pointer) > MAX_POINTER:
        return None
    return Evidence(source=source, claim=_clip(claim, MAX_CLAIM), pointer=pointer)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
