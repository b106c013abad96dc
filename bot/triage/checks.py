"""The checks stage: code settles what any triage proposed before policy sees it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.triage.context import TriageContext
from bot.triage.models import (
    CheckCode,
    CheckedTriage,
    CheckFlag,
    Classification,
    DroppedAction,
    FallbackReason,
    ProposedAction,
    Provenance,
    TriageReport,
)
from policies.catalog import CATALOG, ActionEffect, CatalogAction, ParamType, subject_problem
from policies.runbooks import HUMAN_ONLY_CLASSES, UNKNOWN_CLASS, RunbookAction, classification_for

# Without verifiable evidence a report is a guess, however sure it sounds.
MISSING_EVIDENCE_CAP = 0.5
# When the context says otherwise, the report is more likely wrong than unsupported.
CONTRADICTION_CAP = 0.3
# Classifications this many steps from what the signals' severity suggests contradict it.
SEVERITY_MISMATCH_STEPS = 2
# A report that proposed what it may not (out of catalog or scope, unlocked by no runbook)
# misread the incident or was steered by its data; its certainty means little.
UNSAFE_PROPOSAL_CAP = 0.5
_UNSAFE_DROPS = frozenset(
    {
        CheckCode.ACTION_NOT_IN_CATALOG,
        CheckCode.ACTION_NOT_ALLOWED,
        CheckCode.TARGET_OUT_OF_SCOPE,
        CheckCode.HUMAN_ONLY_CLASS,
    }
)
# One signal can be one flaky rule; sev1 wants corroboration.
SEV1_MIN_SIGNALS = 2


class _Verdict:
    """Flags and drops collected while checking one report."""

    def __init__(self) -> None:
        self.flags: list[CheckFlag] = []
        self.dropped: list[DroppedAction] = []

    def flag(self, code: CheckCode, message: str) -> None:
        self.flags.append(CheckFlag(code=code, message=message))

    def drop(self, action: ProposedAction, code: CheckCode, message: str) -> None:
        self.flag(code, message)
        self.dropped.append(DroppedAction(action=action, code=code, message=message))


def check_triage(
    report: TriageReport,
    context: TriageContext,
    provenance: Provenance,
    catalog: Mapping[str, CatalogAction] = CATALOG,
) -> CheckedTriage:
    """The report with every unsafe action dropped, confidence capped and each reason flagged."""
    verdict = _Verdict()
    if provenance.fallback_reason is not None:
        verdict.flag(CheckCode.FALLBACK, _fallback_text(provenance.fallback_reason))

    match = context.match_for(report.incident_class)
    if report.incident_class != UNKNOWN_CLASS and match is None:
        verdict.flag(
            CheckCode.CLASS_NOT_MATCHED,
            f"No runbook for class {report.incident_class!r} matches these signals.",
        )
    # Any sign of a security or integrity incident removes automation whatever class is
    # claimed: failing closed costs a click, failing open may destroy evidence.
    human_only = report.incident_class in HUMAN_ONLY_CLASSES or any(
        m.runbook.human_only for m in context.runbook_matches
    )
    # Only a runbook that matched the signals can allow anything beyond bringing in people;
    # a class the model merely names unlocks nothing.
    allowed = match.runbook.actions if match is not None else None

    kept: list[ProposedAction] = []
    for action in report.proposed_actions:
        settled = _check_action(action, context, allowed, human_only, catalog, verdict)
        if settled is None:
            continue
        if settled in kept:
            verdict.drop(action, CheckCode.DUPLICATE_ACTION, f"{action.action} is proposed twice.")
            continue
        kept.append(settled)

    evidence = []
    for item in report.evidence:
        if context.resolves(item.pointer):
            evidence.append(item)
        else:
            verdict.flag(
                CheckCode.EVIDENCE_UNVERIFIED,
                f"Evidence pointer {item.pointer[:80]!r} names nothing in the context;"
                " the claim was removed.",
            )

    cap = 1.0
    if not evidence:
        verdict.flag(CheckCode.EVIDENCE_MISSING, "No evidence the context can confirm.")
        cap = min(cap, MISSING_EVIDENCE_CAP)
    if report.incident_class != UNKNOWN_CLASS and match is None:
        cap = min(cap, MISSING_EVIDENCE_CAP)
    cap = min(cap, _contradictions(report, context, verdict))
    unsafe = [d for d in verdict.dropped if d.code in _UNSAFE_DROPS]
    if unsafe:
        verdict.flag(
            CheckCode.CONFIDENCE_CAPPED,
            f"{len(unsafe)} proposed action(s) were out of bounds"
            f" ({', '.join(sorted({d.code.value for d in unsafe}))}); the report is less trusted.",
        )
        cap = min(cap, UNSAFE_PROPOSAL_CAP)
    if report.classification is Classification.SEV1 and len(context.firing) < SEV1_MIN_SIGNALS:
        verdict.flag(
            CheckCode.SEV1_SINGLE_SIGNAL,
            f"sev1 is claimed from {len(context.firing)} firing signal(s); confirm by hand.",
        )
    confidence = min(report.confidence, cap)
    if confidence < report.confidence:
        verdict.flag(
            CheckCode.CONFIDENCE_CAPPED,
            f"Confidence {report.confidence:.2f} capped at {confidence:.2f}.",
        )

    settled_report = report.model_copy(
        update={"confidence": confidence, "proposed_actions": kept, "evidence": evidence}
    )
    return CheckedTriage(
        report=TriageReport.model_validate(settled_report.model_dump()),
        proposed_confidence=report.confidence,
        flags=verdict.flags,
        dropped_actions=verdict.dropped,
        answer_sha256=provenance.answer_sha256,
        model=provenance.model,
        prompt_version=provenance.prompt_version,
        runbooks_version=context.runbooks_version,
        prompt_tokens=provenance.prompt_tokens,
        completion_tokens=provenance.completion_tokens,
        source=provenance.source,
        fallback_reason=provenance.fallback_reason,
    )


def _check_action(
    action: ProposedAction,
    context: TriageContext,
    allowed: list[RunbookAction] | None,
    human_only: bool,
    catalog: Mapping[str, CatalogAction],
    verdict: _Verdict,
) -> ProposedAction | None:
    name = action.action
    spec = catalog.get(name)
    if spec is None:
        verdict.drop(action, CheckCode.ACTION_NOT_IN_CATALOG, f"{name!r} is not a catalog action.")
        return None
    if human_only and spec.effect is not ActionEffect.HUMAN:
        verdict.drop(
            action,
            CheckCode.HUMAN_ONLY_CLASS,
            f"{name} touches a system; this incident is for humans only.",
        )
        return None
    entry = next((a for a in allowed or [] if a.action == name), None)
    if allowed is None and spec.effect is not ActionEffect.HUMAN:
        verdict.drop(
            action,
            CheckCode.ACTION_NOT_ALLOWED,
            f"{name} needs a matching runbook that allows it; none does.",
        )
        return None
    if allowed is not None and entry is None:
        verdict.drop(action, CheckCode.ACTION_NOT_ALLOWED, f"The runbook does not allow {name}.")
        return None
    if action.target != context.scope:
        verdict.drop(
            action,
            CheckCode.TARGET_OUT_OF_SCOPE,
            f"{name} targets {action.target[:80]!r}, outside this incident's {context.scope!r}.",
        )
        return None
    if context.subject is not None:
        problem = subject_problem(spec, context.subject)
        if problem is not None:
            verdict.drop(action, CheckCode.SUBJECT_MISMATCH, f"{problem}.")
            return None

    names = [p.name for p in action.params]
    if len(names) != len(set(names)):
        verdict.drop(action, CheckCode.PARAM_INVALID, f"{name} repeats a parameter.")
        return None
    params = []
    for param in action.params:
        declared = spec.param(param.name)
        if declared is None:
            verdict.flag(
                CheckCode.PARAM_NOT_IN_CATALOG,
                f"{name} has no parameter {param.name[:64]!r}; it was removed.",
            )
            continue
        problem = declared.problem(param.value)
        if problem is not None:
            verdict.drop(action, CheckCode.PARAM_INVALID, f"{name}: {problem}.")
            return None
        bounds = entry.bounds.get(param.name) if entry is not None else None
        if bounds is not None and declared.type is ParamType.INTEGER:
            number = int(param.value)
            if (bounds.min is not None and number < bounds.min) or (
                bounds.max is not None and number > bounds.max
            ):
                verdict.drop(
                    action,
                    CheckCode.PARAM_OUT_OF_BOUNDS,
                    f"{name}: {param.name}={number} is outside the runbook's"
                    f" bounds [{bounds.min}, {bounds.max}].",
                )
                return None
        params.append(param)
    missing = spec.required_params - {p.name for p in params}
    if missing:
        verdict.drop(
            action,
            CheckCode.PARAM_MISSING,
            f"{name} lacks required parameters {', '.join(sorted(missing))}.",
        )
        return None
    return action.model_copy(update={"params": params})


def _contradictions(report: TriageReport, context: TriageContext, verdict: _Verdict) -> float:
    cap = 1.0
    if context.signals and not context.firing:
        verdict.flag(
            CheckCode.SIGNAL_RESOLVED,
            "Every signal has resolved; the report may describe a problem that is over.",
        )
        cap = CONTRADICTION_CAP
    basis = context.firing or context.signals
    if basis:
        top = max(basis, key=lambda s: s.severity.rank).severity
        expected = classification_for(top)
        if abs(report.classification.rank - expected.rank) >= SEVERITY_MISMATCH_STEPS:
            verdict.flag(
                CheckCode.SEVERITY_MISMATCH,
                f"Classification {report.classification} contradicts the signals'"
                f" highest severity {top} (suggests {expected}).",
            )
            cap = CONTRADICTION_CAP
    return cap


def _fallback_text(reason: FallbackReason) -> str:
    return f"The model's answer was not used ({reason}); the runbook triage stood in."
