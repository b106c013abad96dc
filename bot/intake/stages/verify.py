"""Stage: authenticate the request before reading anything in it."""

from __future__ import annotations

from bot.intake.context import IntakeContext


class Verify:
    name = "verify"

    async def __call__(self, ctx: IntakeContext) -> None:
        ctx.source.verify(ctx.headers, ctx.body, ctx.received_at)
