"""Stage: the vendor payload becomes source-independent Signals."""

from __future__ import annotations

from bot.intake.context import IntakeContext, SignalOutcome
from bot.ports.alerts import NormalizeDefaults


class Normalize:
    name = "normalize"

    def __init__(self, environment: str, group_by: list[str]) -> None:
        self._environment = environment
        self._group_by = group_by

    async def __call__(self, ctx: IntakeContext) -> None:
        defaults = NormalizeDefaults(environment=self._environment, received_at=ctx.received_at)
        for signal in ctx.source.normalize(ctx.payload, defaults):
            ctx.outcomes.append(
                SignalOutcome(signal=signal, group_key=signal.group_key(self._group_by))
            )
