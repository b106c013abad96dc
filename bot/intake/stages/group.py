"""Stage: find the open incident each new signal belongs to (dedup/group)."""

from __future__ import annotations

from bot.incidents import service as incidents
from bot.intake.context import IntakeContext


class Group:
    name = "group"

    async def __call__(self, ctx: IntakeContext) -> None:
        session = ctx.db()
        for outcome in ctx.outcomes:
            if outcome.disposition is not None:
                continue
            found = await incidents.find_open(session, outcome.group_key)
            outcome.incident_id = found.id if found is not None else None
