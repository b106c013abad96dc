"""Stage: the delivery fits its source's alert budget (before anything is written)."""

from __future__ import annotations

from bot.intake.budget import AlertBudget
from bot.intake.context import IntakeContext


class Admit:
    name = "admit"

    def __init__(self, budget: AlertBudget) -> None:
        self._budget = budget

    async def __call__(self, ctx: IntakeContext) -> None:
        # Rejected alerts count against the per-request cap (they cost the parse) but
        # not against the minute's budget, since nothing is stored for them.
        self._budget.check_size(len(ctx.outcomes) + len(ctx.rejected))
        self._budget.take(ctx.source.name, len(ctx.outcomes), ctx.received_at)
