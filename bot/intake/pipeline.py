"""Compose intake stages; the database stages are committed in groups.

Everything before `persist` only reads the request, so a failure there writes nothing;
the database stages of one delivery commit together (with other deliveries' in the same
transaction, bot.intake.commit), so the sender gets 2xx only once the signal is durable
and no half-written state survives an error. A delivery that only repeats occurrences
known to be committed (bot.intake.seen) is answered without a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.intake.commit import GroupCommit, Stage
from bot.intake.context import Disposition, IntakeContext
from bot.intake.seen import CommittedOccurrences

__all__ = ["Pipeline", "Stage"]


class Pipeline:
    def __init__(
        self,
        request_stages: Sequence[Stage],
        database: GroupCommit,
        seen: CommittedOccurrences | None = None,
    ) -> None:
        self.request_stages = list(request_stages)
        self._database = database
        self._seen = seen if seen is not None else CommittedOccurrences(0)

    async def quiet(self) -> None:
        """Return once no delivery is waiting for its commit."""
        await self._database.quiet()

    async def rehearse(self, contexts: Sequence[IntakeContext]) -> None:
        """Run already-decoded deliveries through the database stages, keeping nothing."""
        await self._database.rehearse(contexts)

    async def run(self, ctx: IntakeContext) -> IntakeContext:
        for stage in self.request_stages:
            await stage(ctx)
        if not ctx.outcomes:
            return ctx
        fresh = False
        for outcome in ctx.outcomes:
            if self._seen.known(outcome.occurrence_key):
                outcome.disposition = Disposition.DUPLICATE
            else:
                fresh = True
        if not fresh:
            return ctx
        await self._database.run(ctx)
        self._seen.add(o.occurrence_key for o in ctx.outcomes if o.disposition is not None)
        return ctx
