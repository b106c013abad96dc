"""Compose intake stages; the database stages are committed in groups.

Everything before `persist` only reads the request, so a failure there writes nothing;
the database stages of one delivery commit together (with other deliveries' in the same
transaction, bot.intake.commit), so the sender gets 2xx only once the signal is durable
and no half-written state survives an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.intake.commit import GroupCommit, Stage
from bot.intake.context import IntakeContext

__all__ = ["Pipeline", "Stage"]


class Pipeline:
    def __init__(self, request_stages: Sequence[Stage], database: GroupCommit) -> None:
        self.request_stages = list(request_stages)
        self._database = database

    async def run(self, ctx: IntakeContext) -> IntakeContext:
        for stage in self.request_stages:
            await stage(ctx)
        if not ctx.outcomes:
            return ctx
        await self._database.run(ctx)
        return ctx
