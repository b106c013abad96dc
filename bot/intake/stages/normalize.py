"""Stage: the vendor payload becomes source-independent Signals, each with its subject."""

from __future__ import annotations

from bot.domain.errors import IntakeError
from bot.domain.signals import Signal
from bot.intake.columns import unstorable
from bot.intake.context import IntakeContext, SignalOutcome
from bot.ports.alerts import NormalizeDefaults, Rejected
from bot.subjects.resolve import resolve_subject
from bot.subjects.rules import SubjectRules


class Normalize:
    name = "normalize"

    def __init__(self, rules: SubjectRules, group_by: list[str]) -> None:
        self._rules = rules
        self._group_by = group_by

    async def __call__(self, ctx: IntakeContext) -> None:
        defaults = NormalizeDefaults(
            environment=self._rules.default_environment, received_at=ctx.received_at
        )
        for index, raw in enumerate(ctx.source.normalize(ctx.payload, defaults)):
            if isinstance(raw, Rejected):
                ctx.rejected.append(raw)
                continue
            signal = with_subject(raw, self._rules)
            problem = unstorable(signal)
            if problem is not None:
                ctx.rejected.append(Rejected(index, problem))
                continue
            ctx.outcomes.append(
                SignalOutcome(
                    signal=signal,
                    group_key=signal.group_key(self._group_by),
                    occurrence_key=signal.occurrence_key(),
                )
            )
        if ctx.rejected and not ctx.outcomes:
            reasons = "; ".join(r.reason for r in ctx.rejected[:5])
            raise IntakeError(422, "invalid_payload", f"no alert could be accepted: {reasons}")


def with_subject(signal: Signal, rules: SubjectRules) -> Signal:
    """The signal with its subject resolved; service and environment follow the subject."""
    subject = resolve_subject(signal.labels, rules, fallback_service=signal.service)
    return signal.model_copy(
        update={"subject": subject, "service": subject.service, "environment": subject.environment}
    )
