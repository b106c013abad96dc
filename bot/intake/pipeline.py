"""Compose intake stages; the database stages share one transaction.

Everything before `persist` only reads the request, so a failure there writes nothing;
the database stages commit together, so the sender gets 2xx only once the signal is
durable and no half-written state survives an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.intake.context import IntakeContext
from bot.store.database import SessionFactory


class Stage(Protocol):
    """One step of the alert path; raises IntakeError to stop with a reason."""

    name: str

    async def __call__(self, ctx: IntakeContext) -> None: ...


class Pipeline:
    def __init__(
        self,
        request_stages: Sequence[Stage],
        database_stages: Sequence[Stage],
        sessions: SessionFactory,
    ) -> None:
        self.request_stages = list(request_stages)
        self.database_stages = list(database_stages)
        self._sessions = sessions

    async def run(self, ctx: IntakeContext) -> IntakeContext:
        for stage in self.request_stages:
            await stage(ctx)
        if not ctx.outcomes:
            return ctx
        async with self._sessions() as session, session.begin():
            ctx.session = session
            try:
                for stage in self.database_stages:
                    await stage(ctx)
            finally:
                ctx.session = None
        return ctx
